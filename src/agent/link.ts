import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import { pinnedConnect } from './pin.ts';
import { LinkProxyAgent, proxyRefusal, redacted } from './proxy.ts';
import { encodeWsFrame, Heartbeat, linkMaxPayload, linkWire, Mux, tapLinkMessages, type AuthHandler, type DialHandler, type ReplicaRef } from '../tunnel/index.ts';
import { backoffDelay } from './backoff.ts';
import { createOnreadConnection } from '../transport/onread-socket.ts';

export interface LinkOptions {
  /** ws(s):// URL of one gateway replica's connect endpoint. */
  url: string;
  token: string;
  version: string;
  ca?: string;
  /** sha256 of the gateway's certificate (DER): checked before anything is sent. */
  pin?: Buffer;
  /** An HTTP proxy the link goes through (CONNECT); absent: it dials the gateway directly. */
  proxy?: URL;
  log: Logger;
  heartbeatMs: number;
  backoff: { baseMs: number; maxMs: number };
  /** Connects to a target the gateway asks for (allowlist checked), or throws to refuse. */
  dial: DialHandler;
  /** Answers login steps for connections whose credentials this agent holds; absent: none held. */
  onAuth?: AuthHandler;
  onConnected(): void;
  /** The gateway said which replica this link reached and which replicas are live. */
  onReplicas(link: GatewayLink, self: string, replicas: ReplicaRef[]): void;
}

/**
 * One agent link to one gateway URL, kept up forever (until stop): dial out,
 * authenticate, serve streams until the link drops, then reconnect with
 * exponential backoff and jitter. Streams in flight when the link drops end at
 * once; the gateway reports that to their clients.
 */
export class GatewayLink {
  readonly url: string;
  /** The replica this link last reached (from the gateway's replica list); undefined until told. */
  replicaId: string | undefined;
  readonly #o: LinkOptions;
  #stopped = false;
  #attempt = 0;
  #current: WebSocket | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #proxyAgent: LinkProxyAgent | undefined;

  constructor(o: LinkOptions) {
    this.url = o.url;
    this.#o = o;
    this.#proxyAgent = o.proxy === undefined ? undefined : new LinkProxyAgent(o.proxy, o.pin);
  }

  start(): this {
    this.#connect();
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const ws = this.#current;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.terminate();
    });
  }

  #connect(): void {
    const o = this.#o;
    const proxyAgent = this.#proxyAgent;
    const log = o.log.child({ gateway: this.url, ...(o.proxy === undefined ? {} : { proxy: redacted(o.proxy) }) });
    const ws = new WebSocket(this.url, {
      // `replicas`: this agent understands replica lists and links to every replica.
      headers: { authorization: `Bearer ${o.token}`, 'x-warden-agent-version': o.version, 'x-warden-agent-features': 'replicas' },
      maxPayload: linkMaxPayload,
      // No permessage-deflate: compressing every frame costs more CPU than the link saves.
      perMessageDeflate: false,
      // ws masks its own frames (ping, pong, close) with a fresh random key per frame, as RFC 6455
      // requires of a client; the tunnel's frames get theirs from encodeWsFrame.
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      ...connectVia(this.url, o.pin, proxyAgent),
    });
    this.#current = ws;
    // Frames go straight into the socket as whole (masked) WebSocket messages, one write
    // per event-loop turn (linkWire). Nothing is sent before the upgrade: the gateway speaks first.
    let send = (_message: Buffer) => {};
    let socket: Duplex | undefined;
    ws.once('upgrade', (res) => {
      socket = res.socket;
      send = linkWire(ws, res.socket, true).send;
    });
    const mux = new Mux({ encode: (f) => encodeWsFrame(f, true), send: (m) => send(m), dial: o.dial, ...(o.onAuth ? { onAuth: o.onAuth } : {}), onReplicas: (self, list) => ((this.replicaId = self), o.onReplicas(this, self, list)) });
    let heartbeat: Heartbeat | undefined;
    const onMessage = (data: Buffer, isBinary: boolean) => {
      heartbeat?.heard();
      try {
        if (!isBinary) throw new Error('text message on the agent link');
        mux.receive(data);
      } catch (err) {
        log.warn({ err }, 'protocol error from the gateway; reconnecting');
        ws.terminate();
      }
    };
    ws.on('open', () => {
      this.#attempt = 0;
      log.info('connected to the gateway');
      o.onConnected();
      heartbeat = new Heartbeat(ws, o.heartbeatMs);
      // The common message (binary, whole) is read off the socket ahead of ws (tunnel/ws-reader.ts).
      if (socket !== undefined) tapLinkMessages(ws, socket, false, onMessage);
    });
    ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8').slice(0, 500)));
      res.on('end', () => {
        const refusal = proxyRefusal(proxyAgent);
        if (refusal !== undefined) log.error({ status: refusal.status }, refusal.message);
        else log.error({ status: res.statusCode, message: body }, 'the gateway refused this agent');
        ws.terminate();
      });
    });
    ws.on('error', (err) => log.warn({ err: err.message }, 'agent link error'));
    ws.on('close', (code, reason) => {
      mux.close(new Error('the agent link dropped'));
      if (this.#stopped) return;
      const delay = backoffDelay(this.#attempt++, o.backoff);
      log.warn({ code, reason: reason.toString(), retryInMs: delay }, 'link to the gateway closed; reconnecting');
      this.#retry = setTimeout(() => this.#connect(), delay);
    });
  }
}

/**
 * How the link's socket is made: through the proxy's agent (which checks the pin itself), with
 * the pin checked before the request, as ws does (TLS), or, for plain ws://, reading through
 * `onread` as the gateway's end does (tunnel/server.ts): every session's bytes arrive on it.
 */
function connectVia(url: string, pin: Buffer | undefined, proxyAgent: LinkProxyAgent | undefined): ClientOptions {
  if (proxyAgent !== undefined) return { agent: proxyAgent, ...(pin === undefined ? {} : { rejectUnauthorized: false }) };
  if (pin !== undefined) return { createConnection: pinnedConnect(pin) as unknown as ClientOptions['createConnection'] };
  return url.startsWith('ws:') ? { createConnection: createOnreadConnection as unknown as ClientOptions['createConnection'] } : {};
}
