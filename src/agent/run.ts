import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { agentConnectPath, maxDataBytes, Mux } from '../tunnel/index.ts';
import type { Allowlist } from './allowlist.ts';
import { backoffDelay } from './backoff.ts';
import { openTarget } from './targets.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface AgentOptions {
  /** ws(s):// or http(s):// URL of the gateway's API; the connect path is added when missing. */
  gateway: string;
  token: string;
  allow: Allowlist;
  /** PEM of the CA (or self-signed certificate) to trust for a wss:// gateway: pinning. */
  ca?: string;
  log: Logger;
  heartbeatMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  dialTimeoutMs?: number;
}

export interface RunningAgent {
  /** Resolves the first time the link is up (for callers that want to wait). */
  connected: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The agent's life: dial out, authenticate, serve streams until the link
 * drops, then reconnect with exponential backoff and jitter, forever (or until
 * stop). Streams in flight when a link drops end at once; the gateway reports
 * that to their clients.
 */
export function runAgent(o: AgentOptions): RunningAgent {
  const url = connectUrl(o.gateway);
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  const backoff = o.backoff ?? { baseMs: 500, maxMs: 30_000 };
  let stopped = false;
  let attempt = 0;
  let current: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let markConnected!: () => void;
  const connected = new Promise<void>((r) => (markConnected = r));
  const agentName = 'this agent';

  const connectOnce = () => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${o.token}`, 'x-warden-agent-version': version },
      maxPayload: maxDataBytes + 1024,
      perMessageDeflate: false,
      ...(o.ca === undefined ? {} : { ca: o.ca }),
    });
    current = ws;
    const mux = new Mux({ send: (f) => ws.send(f), onOpen: openTarget(o.allow, agentName, o.dialTimeoutMs ?? 10_000) });
    let alive = true;
    let beat: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      attempt = 0;
      o.log.info({ gateway: url, allow: o.allow.list() }, 'connected to the gateway');
      markConnected();
      beat = setInterval(() => {
        // No pong for a whole interval: the path is dead even if TCP has not noticed.
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, heartbeatMs);
    });
    ws.on('pong', () => (alive = true));
    ws.on('ping', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      try {
        if (!isBinary) throw new Error('text message on the agent link');
        mux.receive(data as Buffer);
      } catch (err) {
        o.log.warn({ err }, 'protocol error from the gateway; reconnecting');
        ws.terminate();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8').slice(0, 500)));
      res.on('end', () => {
        o.log.error({ status: res.statusCode, message: body }, 'the gateway refused this agent');
        ws.terminate();
      });
    });
    ws.on('error', (err) => o.log.warn({ err: err.message }, 'agent link error'));
    ws.on('close', (code, reason) => {
      clearInterval(beat);
      mux.close(new Error('the agent link dropped'));
      if (stopped) return;
      const delay = backoffDelay(attempt++, backoff);
      o.log.warn({ code, reason: reason.toString(), retryInMs: delay }, 'link to the gateway closed; reconnecting');
      retry = setTimeout(connectOnce, delay);
    });
  };
  connectOnce();

  return {
    connected,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const ws = current;
      if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    },
  };
}

/** `https://gw.example:17080` → `wss://gw.example:17080/api/v1/agents/connect`. */
export function connectUrl(gateway: string): string {
  const u = new URL(gateway);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = agentConnectPath;
  return u.toString();
}
