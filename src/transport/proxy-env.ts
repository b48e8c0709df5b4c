/**
 * Which HTTP proxy a URL goes through, read from the environment as curl reads it: HTTPS_PROXY
 * for https:// (and wss://) URLs, HTTP_PROXY for http:// (and ws://), either case, ALL_PROXY as a
 * fallback, unless NO_PROXY names the host. One reading for every outbound caller, the gateway's
 * own HTTP (outbound.ts) and the agent's link (agent/proxy.ts), so one NO_PROXY means the same
 * to both. (Hand-written: proxy-from-env reads process.env only and treats a bare NO_PROXY name
 * as that host alone, where curl also exempts its subdomains.)
 */
export function proxyFromEnv(url: URL, env: NodeJS.ProcessEnv): string {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const proxy = variable(env, secure ? 'https_proxy' : 'http_proxy') || variable(env, 'all_proxy');
  return proxy === '' || bypassed(url, variable(env, 'no_proxy')) ? '' : proxy;
}

/** Whether any proxy variable is set at all (without one, every URL goes direct). */
export function anyProxy(env: NodeJS.ProcessEnv): boolean {
  return ['http_proxy', 'https_proxy', 'all_proxy'].some((name) => variable(env, name) !== '');
}

/** A proxy variable as tools read it: lower case first, then upper case ('' when neither is set). */
function variable(env: NodeJS.ProcessEnv, name: string): string {
  return env[name] || env[name.toUpperCase()] || '';
}

/**
 * Whether NO_PROXY exempts `url`, read as curl reads it: `*` exempts everything; an entry is a
 * host name or address, optionally with `:port`, and matches that host and its subdomains (a
 * leading `.` or `*.` too).
 */
export function bypassed(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80');
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
