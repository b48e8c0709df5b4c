import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import type { Clock } from '../core/clock.ts';
import { asWardenError, WardenError } from '../core/errors.ts';
import { Heartbeat } from './heartbeat.ts';
import { Mux } from './mux.ts';
import type { AgentLink, AgentRegistry } from './registry.ts';
import type { ReplicaDirectory } from './replicas.ts';
import { verifyAgentToken } from './tokens.ts';
import type { AgentRecord, AgentRepo } from './types.ts';
import { linkMaxPayload, linkWire, tapLinkMessages } from './wire.ts';
import { adoptOnread } from '../transport/onread-socket.ts';

/** Where agents connect, on the API listener: WebSocket over HTTP(S) passes ordinary corporate proxies. */
export const agentConnectPath = '/api/v1/agents/connect';

export interface AgentEndpointDeps {
  agents: AgentRepo;
  registry: AgentRegistry;
  clock: Clock;
  log: Logger;
  /** Ping interval; a link silent for one whole interval (no pong, ping or message) is dropped. */
  heartbeatMs: number;
  /** The gateway's replicas, announced to agents that can link to each; absent: none announced. */
  replicas?: ReplicaDirectory;
}

/** Header an agent sends to list what it understands beyond the base protocol (comma-separated). */
export const agentFeaturesHeader = 'x-warden-agent-features';

/**
 * Accepts agent links on `server`'s upgrade requests to `agentConnectPath`:
 * the agent token (`Authorization: Bearer wda_…`) is checked before the
 * WebSocket handshake completes, so an unauthenticated peer never gets a link.
 */
export function attachAgentEndpoint(server: Server, d: AgentEndpointDeps): { close(): void } {
  // No permessage-deflate: session bytes are mostly already compact (or TLS-encrypted end to end),
  // and deflating every frame would cost more CPU than the link saves.
  const wss = new WebSocketServer({ noServer: true, maxPayload: linkMaxPayload, perMessageDeflate: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's HTTP server drops its own error listener from an upgraded socket, and ws adds one only
    // once the upgrade completes: a peer that resets while its token is checked must not crash the gateway.
    socket.on('error', (err: Error) => d.log.debug({ err: err.message, remote: req.socket.remoteAddress }, 'agent connection failed before the upgrade'));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== agentConnectPath) return refuse(socket, 404, `no WebSocket endpoint at ${path}`);
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    verifyAgentToken(d, bearer).then(
      (agent) => {
        const linkSocket = readingIntoSharedBuffer(socket);
        wss.handleUpgrade(req, linkSocket, head, (ws) => void link(ws, linkSocket, agent, req, d).catch((err: unknown) => d.log.error({ err }, 'agent link failed')));
      },
      (err: unknown) => {
        const e = asWardenError(err);
        d.log.warn({ reason: e.message, cause: e.cause, remote: req.socket.remoteAddress }, 'agent refused');
        // fail closed: any failure to verify the token (store down included) refuses the link.
        refuse(socket, e.kind === 'access_denied' ? 401 : 503, e.message);
      },
    );
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      server.off('upgrade', onUpgrade);
      // The agents reconnect (to this gateway when it is back, or another replica).
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

async function link(ws: WebSocket, socket: Duplex, agent: AgentRecord, req: IncomingMessage, d: AgentEndpointDeps): Promise<void> {
  const version = headerValue(req.headers['x-warden-agent-version']);
  const now = d.clock.now();
  // Frames go straight into the socket as whole WebSocket messages, one write per turn (linkWire).
  const mux = new Mux(linkWire(ws, socket, false));
  const l: AgentLink = {
    agent: agent.name,
    agentId: agent.id,
    groups: agent.groups,
    version,
    remoteAddress: req.socket.remoteAddress ?? '',
    connectedAt: now,
    lastHeartbeatAt: now,
    mux,
    close: (code, reason) => drop(code, reason),
  };
  const log = d.log.child({ agent: agent.name, remote: l.remoteAddress });
  // Ends the link from this side (revocation, a protocol error, shutdown). fail closed: from here on
  // nothing the agent sends reaches a session (the message handler checks the state), its sessions end
  // now rather than when the close handshake completes (a peer may stall that for ws's 30 s), and
  // no new session is given this link.
  const drop = (code: number, reason: string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.close(code, reason);
    d.registry.remove(l);
    mux.close(new WardenError('upstream_unavailable', `the gateway closed the link to agent "${agent.name}" (${reason}); the session ended`));
  };
  // A link silent for a whole interval is dropped (Heartbeat); each message counts as a sign of life.
  const heartbeat = new Heartbeat(ws, d.heartbeatMs, () => {
    // Revocation on another replica reaches this one here, within one interval.
    d.agents.byId(agent.id).then(
      (a) => {
        if (a === undefined || a.revokedAt !== null) drop(4003, 'agent token revoked');
        else return d.agents.touch(agent.id, d.clock.now(), version);
      },
      (err: unknown) => log.warn({ err }, 'agent heartbeat: store unavailable'),
    );
  });
  ws.on('pong', () => d.registry.heartbeat(l));
  const onMessage = (data: Buffer, isBinary: boolean) => {
    // ws still delivers what arrives during the close handshake; once this side closed, none of it counts.
    if (ws.readyState !== WebSocket.OPEN) return;
    heartbeat.heard();
    try {
      if (!isBinary) throw new WardenError('bad_request', 'tunnel protocol error: text message on the agent link');
      mux.receive(data);
    } catch (err) {
      // fail closed: a peer that breaks the framing loses the whole link.
      log.warn({ err }, 'dropping agent link');
      drop(1002, 'protocol error');
    }
  };
  ws.on('message', (data, isBinary) => onMessage(data as Buffer, isBinary));
  // The common message (binary, whole) is read off the socket ahead of ws (ws-reader.ts).
  tapLinkMessages(ws, socket, true, onMessage);
  // Only an agent that said it understands replica lists gets them (an older one would drop the link).
  const features = (headerValue(req.headers[agentFeaturesHeader]) ?? '').split(',').map((f) => f.trim());
  let unsubscribe = () => {};
  if (d.replicas !== undefined && features.includes('replicas')) {
    const dir = d.replicas;
    mux.announceReplicas(dir.selfId, dir.current());
    const off = dir.onChange((list) => mux.announceReplicas(dir.selfId, list));
    unsubscribe = () => void off();
  }
  ws.on('close', (code, reason) => {
    unsubscribe();
    d.registry.remove(l);
    mux.close(new WardenError('upstream_unavailable', `the link to agent "${agent.name}" dropped; the session ended, reconnect to retry`));
    log.info({ code, reason: reason.toString() }, 'agent disconnected');
  });
  ws.on('error', (err) => log.warn({ err }, 'agent link error'));
  d.registry.add(l);
  const recorded = d.replicas?.linkUp(agent.id, l.remoteAddress, now);
  ws.once('close', () => recorded !== undefined && d.replicas?.linkDown(recorded));
  log.info({ version }, 'agent connected');
  await d.agents.touch(agent.id, now, version);
}

/**
 * The link's socket, reading through `onread` (transport/onread-socket.ts) when it is plain TCP with
 * nothing read ahead: every session's bytes arrive on it, and a socket without `onread` allocates
 * a 64 KiB buffer per read and shrinks it (malloc and free on the gateway's hottest read). A TLS
 * socket (its reads are the TLS layer's) or one holding unread bytes is used as it is. The agent
 * sends nothing before the 101 answer, so nothing is read ahead in practice.
 */
function readingIntoSharedBuffer(socket: Duplex): Duplex {
  if (!(socket instanceof Socket) || socket instanceof TLSSocket || socket.readableLength > 0 || socket.destroyed) return socket;
  return adoptOnread(socket);
}

function refuse(socket: Duplex, status: number, message: string): void {
  const text = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

function headerValue(v: string | string[] | undefined): string | null {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? null : s.slice(0, 64);
}
