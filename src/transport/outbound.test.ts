import { describe, expect, it } from 'vitest';
import { bypassed, createOutbound } from './outbound.ts';

describe('NO_PROXY', () => {
  const by = (url: string, noProxy: string) => bypassed(new URL(url), noProxy);
  it('matches hosts, subdomains, ports and addresses as curl does', () => {
    expect(by('https://hooks.example.com/x', 'example.com')).toBe(true);
    expect(by('https://example.com/x', '.example.com')).toBe(true);
    expect(by('https://a.b.example.com/x', '*.example.com')).toBe(true);
    expect(by('https://notexample.com/x', 'example.com')).toBe(false);
    expect(by('http://127.0.0.1:9000/', '127.0.0.1:9000')).toBe(true);
    expect(by('http://127.0.0.1:9001/', '127.0.0.1:9000')).toBe(false);
    expect(by('https://s3.internal/', 's3.internal:443')).toBe(true);
    expect(by('http://[::1]:9000/', '::1')).toBe(true);
    expect(by('http://[::1]:9000/', '[::1]:9000')).toBe(true);
    expect(by('https://idp.example.org/', 'localhost, example.com')).toBe(false);
    expect(by('https://idp.example.org/', '*')).toBe(true);
    expect(by('https://idp.example.org/', '')).toBe(false);
  });
});

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
