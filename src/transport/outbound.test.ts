import { describe, expect, it } from 'vitest';
import { createOutbound } from './outbound.ts';

describe('the gateway outbound HTTP', () => {
  it('goes direct with no proxy variable set', () => {
    const o = createOutbound({});
    expect(o.fetch).toBe(globalThis.fetch);
    expect(o.agentFor('https://s3.example.com')).toBeUndefined();
  });

  it('takes an agent per proxy for the URLs the variables name, none for NO_PROXY hosts', () => {
    const o = createOutbound({ HTTPS_PROXY: 'http://proxy.corp:3128', http_proxy: 'http://plain.corp:8080', NO_PROXY: 'minio.internal' });
    expect(o.agentFor('https://s3.example.com')).toBeDefined();
    expect(o.agentFor('https://s3.example.com')).toBe(o.agentFor('https://other.example.com'));
    expect(o.agentFor('http://s3.example.com')).not.toBe(o.agentFor('https://s3.example.com'));
    expect(o.agentFor('http://minio.internal:9000')).toBeUndefined();
  });
});
