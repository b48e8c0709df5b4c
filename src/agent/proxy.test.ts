import { afterEach, describe, expect, it } from 'vitest';
import { parseProxyUrl, proxyFor, proxyRefusal, redacted, type LinkProxyAgent } from './proxy.ts';

const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];
const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
const setEnv = (vars: Record<string, string>) => {
  for (const n of names) delete process.env[n];
  Object.assign(process.env, vars);
};

describe('proxyFor', () => {
  afterEach(() => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  });

  it('none configured: direct', () => {
    setEnv({});
    expect(proxyFor('wss://gw.example:8443/api/v1/agents/connect', undefined)).toBeUndefined();
  });

  it('wss:// goes by HTTPS_PROXY, ws:// by HTTP_PROXY, either case, ALL_PROXY last', () => {
    setEnv({ HTTPS_PROXY: 'http://secure:3128', http_proxy: 'http://plain:3128', ALL_PROXY: 'http://all:3128' });
    expect(proxyFor('wss://gw.example/x', undefined)?.host).toBe('secure:3128');
    expect(proxyFor('ws://gw.example/x', undefined)?.host).toBe('plain:3128');
    setEnv({ ALL_PROXY: 'http://all:3128' });
    expect(proxyFor('wss://gw.example/x', undefined)?.host).toBe('all:3128');
  });

  it('NO_PROXY naming the host, a parent domain (as the gateway reads it), a domain suffix or * dials directly', () => {
    for (const no of ['gw.example', 'example', '.example', '*.example', 'other,gw.example:443', '*']) {
      setEnv({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: no });
      expect(proxyFor('wss://gw.example/x', undefined), no).toBeUndefined();
    }
    setEnv({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'gw.example:8443,other.example' });
    expect(proxyFor('wss://gw.example/x', undefined)?.host).toBe('proxy:3128');
  });

  it('--proxy wins over the environment and NO_PROXY', () => {
    setEnv({ HTTPS_PROXY: 'http://env:3128', NO_PROXY: '*' });
    expect(proxyFor('wss://gw.example/x', 'http://flag:8080')?.host).toBe('flag:8080');
  });

  it('a proxy without a scheme is http://, as curl reads it', () => {
    setEnv({ HTTPS_PROXY: 'proxy.corp:3128' });
    expect(proxyFor('wss://gw.example/x', undefined)?.href).toBe('http://proxy.corp:3128/');
  });
});

describe('parseProxyUrl', () => {
  it('takes http and https proxies, with credentials', () => {
    const u = parseProxyUrl('http://user:p%40ss@proxy:3128');
    expect([u.protocol, u.username, u.password, u.host]).toEqual(['http:', 'user', 'p%40ss', 'proxy:3128']);
    expect(parseProxyUrl('https://proxy:443').protocol).toBe('https:');
  });

  it('refuses other schemes and garbage, without echoing credentials', () => {
    expect(() => parseProxyUrl('socks5://proxy:1080')).toThrow('the proxy must be http://');
    expect(() => parseProxyUrl('http://')).toThrow('the proxy must be http://');
    expect(() => parseProxyUrl('ftp://me:secret@proxy')).toThrow(/"ftp:\/\/\*\*\*@proxy"/);
  });
});

describe('redacted and proxyRefusal', () => {
  it('leaves credentials out of what is logged', () => {
    expect(redacted(new URL('http://me:secret@proxy:3128'))).toBe('http://***@proxy:3128/');
    expect(redacted('http://proxy:3128')).toBe('http://proxy:3128');
  });

  it('names the proxy only when it answered the CONNECT with something other than 200', () => {
    const agent = (lastStatus: number | undefined) => ({ lastStatus }) as LinkProxyAgent;
    expect(proxyRefusal(undefined)).toBeUndefined();
    expect(proxyRefusal(agent(undefined))).toBeUndefined();
    expect(proxyRefusal(agent(200))).toBeUndefined();
    expect(proxyRefusal(agent(407))?.message).toContain('(HTTP 407): the proxy did not accept its credentials');
    expect(proxyRefusal(agent(403))?.message).toBe('the proxy refused the tunnel to the gateway (HTTP 403)');
  });
});
