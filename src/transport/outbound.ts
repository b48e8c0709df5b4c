import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { ProxyAgent } from 'undici';
import { anyProxy, proxyFromEnv } from './proxy-env.ts';

/**
 * The gateway's own outbound HTTP (review webhooks, the OIDC provider, SAML metadata, S3
 * recordings) through the network's HTTP proxy, as curl and most tools read it: HTTPS_PROXY for
 * https:// URLs, HTTP_PROXY for http:// (either case; ALL_PROXY as a fallback), unless NO_PROXY
 * names the host (proxy-env.ts, which the agent's link reads too). Node 20's fetch reads none of
 * these itself. With no proxy variable set, requests go out directly, exactly as before.
 */
export interface Outbound {
  /** `fetch`, through the proxy its URL's variables name. */
  fetch: typeof fetch;
  /** The http(s).Agent for a client that takes one (MinIO's S3 client): undefined when `url` goes direct. */
  agentFor(url: string): Agent | undefined;
}

export function createOutbound(env: NodeJS.ProcessEnv): Outbound {
  if (!anyProxy(env)) return { fetch: globalThis.fetch, agentFor: () => undefined };
  // undici's ProxyAgent (the fetch inside Node 20 is undici 6): a CONNECT tunnel to the target, for http:// URLs too.
  const dispatchers = new Map<string, ProxyAgent>();
  const proxied = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const proxy = proxyFromEnv(new URL(input instanceof Request ? input.url : input), env);
    if (proxy === '') return fetch(input, init);
    let dispatcher = dispatchers.get(proxy);
    if (dispatcher === undefined) dispatchers.set(proxy, (dispatcher = new ProxyAgent(proxy)));
    return fetch(input, { ...init, dispatcher } as RequestInit);
  }) as typeof fetch;
  const agents = new Map<string, Agent>();
  return {
    fetch: proxied,
    agentFor(url) {
      const proxy = proxyFromEnv(new URL(url), env);
      if (proxy === '') return undefined;
      let agent = agents.get(proxy);
      // CONNECT through the proxy for http:// endpoints too, as for fetch.
      if (agent === undefined) agents.set(proxy, (agent = new HttpsProxyAgent(proxy, { keepAlive: true }) as unknown as Agent));
      return agent;
    },
  };
}
