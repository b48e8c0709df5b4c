import { describe, expect, it } from 'vitest';
import { Allowlist } from './allowlist.ts';
import { backoffDelay } from './backoff.ts';
import { connectUrl } from './run.ts';

describe('agent allowlist', () => {
  it('allows exactly the listed host:port pairs', () => {
    const a = new Allowlist(['127.0.0.1:5432', 'DB.internal:3306', '[::1]:5432']);
    expect(a.allows('127.0.0.1', 5432)).toBe(true);
    expect(a.allows('db.INTERNAL', 3306)).toBe(true);
    expect(a.allows('::1', 5432)).toBe(true);
    expect(a.allows('127.0.0.1', 5433)).toBe(false);
    expect(a.allows('127.0.0.2', 5432)).toBe(false);
    expect(a.allows('db.internal.evil.com', 3306)).toBe(false);
  });

  it('rejects entries that are not host:port', () => {
    for (const bad of ['127.0.0.1', ':5432', 'db:0', 'db:70000', '::1:5432', 'db:5432/x', '*:5432 x']) {
      expect(() => new Allowlist([bad]), bad).toThrow(/not host:port/);
    }
  });
});

describe('agent reconnect', () => {
  it('backs off exponentially up to the cap, with jitter', () => {
    const opts = { baseMs: 500, maxMs: 30_000 };
    expect(backoffDelay(0, { ...opts, random: () => 0.999 })).toBe(499);
    expect(backoffDelay(3, { ...opts, random: () => 0.999 })).toBe(3996);
    expect(backoffDelay(20, { ...opts, random: () => 0.999 })).toBe(29_970);
    expect(backoffDelay(20, { ...opts, random: () => 0 })).toBe(250);
  });

  it('turns a gateway URL into the agent endpoint', () => {
    expect(connectUrl('http://127.0.0.1:17080')).toBe('ws://127.0.0.1:17080/api/v1/agents/connect');
    expect(connectUrl('https://gw.example.com')).toBe('wss://gw.example.com/api/v1/agents/connect');
    expect(connectUrl('wss://gw.example.com/custom/path')).toBe('wss://gw.example.com/custom/path');
  });
});
