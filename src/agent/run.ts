import type { Logger } from 'pino';
import { agentConnectPath, type AuthHandler, type ReplicaRef } from '../tunnel/index.ts';
import type { Allowlist } from './allowlist.ts';
import { GatewayLink } from './link.ts';
import { openTarget } from './targets.ts';
import { proxyFor } from './proxy.ts';
import { version } from '../version.ts';


export interface AgentOptions {
  /** ws(s):// or http(s):// URL of the gateway's API; the connect path is added when missing. */
  gateway: string;
  token: string;
  allow: Allowlist;
  /** PEM of the CA (or self-signed certificate) to trust for a wss:// gateway: pinning. */
  ca?: string;
  /** sha256 fingerprint of the gateway's certificate (`parsePin`): a wss:// link to any other certificate is refused. */
  pin?: Buffer;
  /** `--proxy`: the HTTP proxy every link goes through; absent: HTTPS_PROXY / HTTP_PROXY / NO_PROXY decide per gateway URL (`proxyFor`). */
  proxy?: string;
  /**
   * Answers the login steps of connections marked `credentials: agent` with the target
   * credentials this agent keeps to itself (`credentialsHandler`); absent: it holds none.
   */
  onAuth?: AuthHandler;
  log: Logger;
  heartbeatMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  dialTimeoutMs?: number;
}

export interface RunningAgent {
  /** Resolves the first time a link is up (for callers that want to wait). */
  connected: Promise<void>;
  /** The replica ids this agent currently has a link object for (connected or reconnecting). */
  replicas(): string[];
  stop(): Promise<void>;
}

/**
 * The agent's life: one link to the configured gateway URL (the seed, kept
 * forever), plus one link to every other replica the gateway announces, so a
 * client landing on any replica reaches this agent's targets. The newest list
 * any replica sends decides: a replica that left it (stopped, or silent past
 * the TTL) loses its link; a new one gets one.
 */
export function runAgent(o: AgentOptions): RunningAgent {
  let markConnected!: () => void;
  const connected = new Promise<void>((r) => (markConnected = r));
  const dial = openTarget(o.allow, 'this agent', o.dialTimeoutMs ?? 10_000, o.log);
  o.log.info({ allow: o.allow.list() }, 'starting the agent');
  const others = new Map<string, GatewayLink>();
  let stopped = false;

  const link = (url: string) => {
    const proxy = proxyFor(url, o.proxy);
    return new GatewayLink({
      url,
      token: o.token,
      version,
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      ...(o.pin === undefined ? {} : { pin: o.pin }),
      ...(proxy === undefined ? {} : { proxy }),
      log: o.log,
      heartbeatMs: o.heartbeatMs ?? 15_000,
      backoff: o.backoff ?? { baseMs: 500, maxMs: 30_000 },
      dial,
      ...(o.onAuth === undefined ? {} : { onAuth: o.onAuth }),
      onConnected: markConnected,
      onReplicas,
    }).start();
  };

  const seed = link(connectUrl(o.gateway));

  function onReplicas(from: GatewayLink, self: string, list: ReplicaRef[]): void {
    if (stopped) return;
    // A replica reached twice (the seed URL now lands on a replica another link serves): keep one.
    for (const [id, l] of others) {
      if (l !== from && l.replicaId === seed.replicaId && seed.replicaId !== undefined) drop(id, 'the seed link reaches the same replica');
    }
    if (from !== seed && self === seed.replicaId) {
      for (const [id, l] of others) if (l === from) drop(id, 'the seed link reaches the same replica');
      return;
    }
    const wanted = new Map(list.filter((r) => r.id !== seed.replicaId).map((r) => [r.id, connectUrl(r.url)]));
    for (const [id, l] of others) {
      if (wanted.get(id) !== l.url) drop(id, 'no longer a live replica');
    }
    for (const [id, url] of wanted) {
      if (others.has(id)) continue;
      o.log.info({ replica: id, url }, 'linking to another gateway replica');
      try {
        others.set(id, link(url));
      } catch (err) {
        // A proxy setting that only this replica's scheme reads (HTTP_PROXY beside HTTPS_PROXY) and is malformed: this replica only.
        o.log.error({ replica: id, url, err: (err as Error).message }, 'cannot link to this gateway replica');
      }
    }
  }

  function drop(id: string, why: string): void {
    const l = others.get(id);
    if (l === undefined) return;
    others.delete(id);
    o.log.info({ replica: id, url: l.url, why }, 'dropping the link to a gateway replica');
    void l.stop();
  }

  return {
    connected,
    replicas: () => [...(seed.replicaId === undefined ? [] : [seed.replicaId]), ...others.keys()],
    async stop() {
      stopped = true;
      await Promise.all([seed.stop(), ...[...others.values()].map((l) => l.stop())]);
      others.clear();
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
