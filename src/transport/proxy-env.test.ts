import { describe, expect, it } from 'vitest';
import { bypassed, proxyFromEnv } from './proxy-env.ts';

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

describe('the proxy a URL goes through', () => {
  const of = (url: string, env: NodeJS.ProcessEnv) => proxyFromEnv(new URL(url), env);
  it('reads the scheme\'s variable in either case, ALL_PROXY last', () => {
    const env = { HTTPS_PROXY: 'http://secure:3128', http_proxy: 'http://plain:3128', ALL_PROXY: 'http://all:3128' };
    expect(of('https://idp.example/x', env)).toBe('http://secure:3128');
    expect(of('wss://gw.example/x', env)).toBe('http://secure:3128');
    expect(of('http://hook.example/x', env)).toBe('http://plain:3128');
    expect(of('ws://gw.example/x', env)).toBe('http://plain:3128');
    expect(of('wss://gw.example/x', { all_proxy: 'http://all:3128' })).toBe('http://all:3128');
    expect(of('wss://gw.example/x', {})).toBe('');
  });

  it('goes direct where NO_PROXY names the host, a parent domain or the default port of ws(s)', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'corp.example:443' };
    expect(of('wss://gw.corp.example/x', env)).toBe('');
    expect(of('wss://gw.corp.example:8443/x', env)).toBe('http://proxy:3128');
  });
});
