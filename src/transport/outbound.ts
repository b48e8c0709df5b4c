import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { ProxyAgent } from 'undici';

/**
 * The gateway's own outbound HTTP (review webhooks, the OIDC provider, SAML metadata, S3
 * recordings) through the network's HTTP proxy, as curl and most tools read it: HTTPS_PROXY for
 * https:// URLs, HTTP_PROXY for http:// (either case; ALL_PROXY as a fallback), unless NO_PROXY
 * names the host. Node 20's fetch reads none of these itself. With no proxy variable set,
 * requests go out directly, exactly as before.
 */
export interface Outbound {
  /** `fetch`, through the proxy its URL's variables name. */
  fetch: typeof fetch;
  /** The http(s).Agent for a client that takes one (MinIO's S3 client): undefined when `url` goes direct. */
  agentFor(url: string): Agent | undefined;
}

export function createOutbound(env: NodeJS.ProcessEnv): Outbound {
  const read = (name: string) => env[name] || env[name.toUpperCase()] || '';
  const httpProxy = read('http_proxy') || read('all_proxy');
  const httpsProxy = read('https_proxy') || read('all_proxy');
  const noProxy = read('no_proxy');
  if (httpProxy === '' && httpsProxy === '') return { fetch: globalThis.fetch, agentFor: () => undefined };
  /** The proxy `url` goes through ('' when direct). */
  const proxyOf = (url: URL) => {
    const proxy = url.protocol === 'https:' ? httpsProxy : httpProxy;
    return proxy === '' || bypassed(url, noProxy) ? '' : proxy;
  };
  // undici's ProxyAgent (the fetch inside Node 20 is undici 6): a CONNECT tunnel to the target, for http:// URLs too.
  const dispatchers = new Map<string, ProxyAgent>();
  const proxied = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const proxy = proxyOf(new URL(input instanceof Request ? input.url : input));
    if (proxy === '') return fetch(input, init);
    let dispatcher = dispatchers.get(proxy);
    if (dispatcher === undefined) dispatchers.set(proxy, (dispatcher = new ProxyAgent(proxy)));
    return fetch(input, { ...init, dispatcher } as RequestInit);
  }) as typeof fetch;
  const agents = new Map<string, Agent>();
  return {
    fetch: proxied,
    agentFor(url) {
      const proxy = proxyOf(new URL(url));
      if (proxy === '') return undefined;
      let agent = agents.get(proxy);
      // CONNECT through the proxy for http:// endpoints too, as for fetch.
      if (agent === undefined) agents.set(proxy, (agent = new HttpsProxyAgent(proxy, { keepAlive: true }) as unknown as Agent));
      return agent;
    },
  };
}

/**
 * Whether NO_PROXY exempts `url`, read as curl and proxy-from-env read it: `*` exempts
 * everything; an entry is a host name or address, optionally with `:port`, and a leading `.` or
 * `*.` also matches its subdomains. (proxy-from-env reads process.env only, and the gateway's
 * environment is handed in.)
 */
export function bypassed(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[,\s]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      // host, host:port, [v6]:port; a bare IPv6 address (several colons) has no port.
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry.toLowerCase());
      if (m?.[2] !== undefined && m[2] !== port) return false;
      const name = (m?.[1] ?? entry.toLowerCase()).replace(/^\[|\]$/g, '').replace(/^\*/, '');
      return name.startsWith('.') ? host.endsWith(name) || host === name.slice(1) : host === name || host.endsWith(`.${name}`);
    });
}
