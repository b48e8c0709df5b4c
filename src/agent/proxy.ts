import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { HttpsProxyAgent, type HttpsProxyAgentOptions } from 'https-proxy-agent';
import { WardenError } from '../core/errors.ts';
import { proxyFromEnv } from '../transport/proxy-env.ts';
import { pinMismatch } from './pin.ts';

/**
 * The agent's link through an HTTP proxy. Networks that let nothing in often
 * let nothing straight out either: egress goes through a proxy that tunnels
 * TLS with `CONNECT host:port`. The link is a WebSocket over HTTP(S), so it
 * rides such a tunnel as any browser's wss:// does (the reason the link is a
 * WebSocket: docs/agents.md). `https-proxy-agent` speaks CONNECT (Basic
 * credentials from the proxy URL, Negotiate when asked); the environment's
 * proxy variables are read as the gateway reads them (transport/proxy-env.ts).
 */

/** A proxy URL as given (`--proxy`, `proxy:` in the config, or the environment), checked; scheme-less means http://, as curl reads it. */
export function parseProxyUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new WardenError('bad_request', `the proxy must be http://[user:password@]host:port (or https://); got "${redacted(text)}"`);
  }
  return url;
}

/**
 * The proxy the link to `linkUrl` (ws:// or wss://) goes through, if any:
 * `explicit` (`--proxy`) when given; else HTTPS_PROXY for a wss:// gateway,
 * HTTP_PROXY for ws:// (either case; ALL_PROXY as a fallback), unless
 * NO_PROXY names the gateway's host.
 */
export function proxyFor(linkUrl: string, explicit: string | undefined): URL | undefined {
  if (explicit !== undefined) return parseProxyUrl(explicit);
  const configured = proxyFromEnv(new URL(linkUrl), process.env);
  if (configured === '') return undefined;
  return parseProxyUrl(configured);
}

/** The proxy URL for logs: its credentials left out. */
export function redacted(url: string | URL): string {
  const text = String(url);
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

/**
 * The WebSocket client's HTTP agent for a link through `proxy`. With a pin,
 * the gateway's certificate is checked inside the tunnel before the upgrade
 * request, which carries the agent token, is written (the link then asks for
 * `rejectUnauthorized: false`: the pin is the trust, as in `pinnedConnect`).
 */
export class LinkProxyAgent extends HttpsProxyAgent<string> {
  /** The proxy's status for the last CONNECT (200: tunnel open); undefined before one was answered. */
  lastStatus: number | undefined;
  readonly #pin: Buffer | undefined;

  constructor(proxy: URL, pin: Buffer | undefined) {
    super(proxy.href, { keepAlive: false } as HttpsProxyAgentOptions<string>);
    this.#pin = pin;
    this.on('proxyConnect', (res: { statusCode: number }) => (this.lastStatus = res.statusCode));
  }

  override async connect(req: ClientRequest, opts: Parameters<HttpsProxyAgent<string>['connect']>[1]): Promise<Socket> {
    this.lastStatus = undefined;
    const socket = (await super.connect(req, opts)) as Socket;
    const pin = this.#pin;
    // A refused CONNECT comes back as a socket replaying the proxy's answer (not TLS): nothing of ours is sent on it.
    if (pin === undefined || !(socket instanceof TLSSocket)) return socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const mismatch = pinMismatch(socket, pin);
    if (mismatch !== undefined) {
      socket.destroy();
      throw mismatch;
    }
    return socket;
  }
}

/** What the link logs when the upgrade was answered by the proxy, not the gateway (undefined: it was the gateway). */
export function proxyRefusal(agent: LinkProxyAgent | undefined): { status: number; message: string } | undefined {
  const status = agent?.lastStatus;
  if (status === undefined || status === 200) return undefined;
  // 407 asks for credentials; some proxies (tinyproxy) answer wrong ones with 401.
  const hint = status === 407 || status === 401 ? ': the proxy did not accept its credentials; give them in the proxy URL (http://user:password@host:port)' : '';
  return { status, message: `the proxy refused the tunnel to the gateway (HTTP ${status})${hint}` };
}
