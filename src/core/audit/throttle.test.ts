import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../store/index.ts';
import { createAuditLog } from './log.ts';
import { RefusalThrottle } from './throttle.ts';
import type { NewAuditEvent } from './types.ts';

const refusal = (actor: string | null, reason = 'unknown_token'): NewAuditEvent => ({ type: 'login.token', outcome: 'failure', actor, detail: { reason } });

describe('RefusalThrottle', () => {
  it('stores the first refusals of a kind per window, counts the rest onto the next one stored', () => {
    const t = new RefusalThrottle({ windowMs: 1000, perWindow: 3 });
    const kept = Array.from({ length: 10 }, (_, i) => t.admit(refusal('eve'), i));
    expect(kept.filter(Boolean)).toHaveLength(3);
    const next = t.admit(refusal('eve'), 1000);
    expect(next?.detail).toEqual({ reason: 'unknown_token', suppressed: 7 });
    // Counted once: the one after carries nothing.
    expect(t.admit(refusal('eve'), 1001)?.detail).toEqual({ reason: 'unknown_token' });
  });

  it('keeps kinds apart (actor, reason) and never throttles successes', () => {
    const t = new RefusalThrottle({ windowMs: 1000, perWindow: 1 });
    expect(t.admit(refusal('eve'), 0)).toBeDefined();
    expect(t.admit(refusal('eve'), 1)).toBeUndefined();
    expect(t.admit(refusal('mallory'), 2)).toBeDefined();
    expect(t.admit(refusal('eve', 'expired'), 3)).toBeDefined();
    const ok: NewAuditEvent = { type: 'login.token', outcome: 'success', actor: 'eve' };
    for (let i = 0; i < 50; i++) expect(t.admit(ok, 4)).toBe(ok);
  });

  it('bounds the kinds it remembers: claimed names past the limit share one kind', () => {
    const t = new RefusalThrottle({ windowMs: 1000, perWindow: 2, maxKinds: 5 });
    const stored = Array.from({ length: 100 }, (_, i) => t.admit(refusal(`name-${i}`), 0)).filter(Boolean);
    expect(stored).toHaveLength(5 + 2);
    // A window later the expired kinds are swept: new names get kinds of their own again.
    const later = Array.from({ length: 4 }, (_, i) => t.admit(refusal(`late-${i}`), 1000)).filter(Boolean);
    expect(later).toHaveLength(4);
  });
});

describe('the audit log throttles refusals in the store', () => {
  it('a flood of bad tokens leaves 20 rows a minute, then one that says how many were left out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-audit-'));
    const store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'warden' });
    let now = Date.parse('2026-11-25T12:00:00Z');
    const audit = createAuditLog({ repo: store.audit, clock: { now: () => new Date(now) }, log: pino({ level: 'silent' }) });
    try {
      for (let i = 0; i < 500; i++) await audit.record(refusal(null, 'malformed'));
      await audit.record({ type: 'login.token', outcome: 'success', actor: 'alice' });
      expect(await audit.list({ type: 'login.token', limit: 1000 })).toHaveLength(21);
      now += 60_000;
      await audit.record(refusal(null, 'malformed'));
      const newest = (await audit.list({ type: 'login.token', limit: 1 }))[0]!;
      expect(newest.detail).toEqual({ reason: 'malformed', suppressed: 480 });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
