import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { openStore, type Store } from '../store/index.ts';
import { decodeFrame, type Frame } from './frames.ts';
import { AgentRegistry } from './registry.ts';
import { agentConnectPath, attachAgentEndpoint } from './server.ts';
import type { TunnelStream } from './stream.ts';
import { createAgent } from './tokens.ts';
import { encodeWsFrame } from './wire.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A gateway's agent endpoint on loopback, over the real SQLite store, with one agent "edge" created. */
async function endpoint() {
  const dir = mkdtempSync(join(tmpdir(), 'warden-agent-endpoint-'));
  const store: Store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'warden' });
  const registry = new AgentRegistry(systemClock);
  const { token } = await createAgent({ agents: store.agents, clock: systemClock }, 'edge');
  const server: Server = createServer();
  const attached = attachAgentEndpoint(server, { agents: store.agents, registry, clock: systemClock, log: pino({ level: 'silent' }), heartbeatMs: 60_000 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    attached.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { registry, token, port: (server.address() as AddressInfo).port };
}

/**
 * An agent peer on a raw socket: it speaks just enough WebSocket to send tunnel frames and
 * read the gateway's, and never answers a close frame (a stalled or hostile agent), so the
 * close handshake it was sent never completes.
 */
async function rawAgent(port: number, token: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${agentConnectPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  let upgraded = false;
  const frames: { opcode: number; payload: Buffer }[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!upgraded) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString();
      expect(head).toMatch(/^HTTP\/1\.1 101/);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      expect(head).toContain(`Sec-WebSocket-Accept: ${accept}`);
      upgraded = true;
      buffered = buffered.subarray(end + 4);
    }
    // Server frames are unmasked; these tests' frames are short (7- or 16-bit lengths).
    while (buffered.length >= 2) {
      const short = buffered[1]! & 0x7f;
      const at = short === 126 ? 4 : 2;
      if (buffered.length < at) return;
      const len = short === 126 ? buffered.readUInt16BE(2) : short;
      if (buffered.length < at + len) return;
      frames.push({ opcode: buffered[0]! & 0x0f, payload: buffered.subarray(at, at + len) });
      buffered = buffered.subarray(at + len);
    }
  });
  const until = async (cond: () => boolean) => {
    while (!cond()) await sleep(5);
  };
  return {
    frames,
    until,
    send: (f: Frame) => socket.write(encodeWsFrame(f, true)),
    /** A masked text message: not allowed on the agent link. */
    sendText: (text: string) => {
      const payload = Buffer.from(text);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
    },
    tunnelFrames: () => frames.filter((f) => f.opcode === 2).map((f) => decodeFrame(f.payload)),
  };
}

/** A stream the gateway opened through the raw agent, with what it received and how it ended. */
async function openedStream(registry: AgentRegistry, agent: Awaited<ReturnType<typeof rawAgent>>) {
  const link = await registry.waitFor({ kind: 'agent', name: 'edge' }, 5000);
  expect(link).toBeDefined();
  const opening = link!.mux.open('db.internal', 5432);
  await agent.until(() => agent.tunnelFrames().some((f) => f.type === 'open'));
  const id = agent.tunnelFrames().find((f) => f.type === 'open')!.id;
  agent.send({ type: 'opened', id });
  const stream: TunnelStream = await opening;
  const received: string[] = [];
  stream.on('data', (d: Buffer) => received.push(d.toString()));
  const ended = new Promise<string>((resolve) => {
    stream.on('error', (err: Error) => resolve(err.message));
    stream.on('close', () => resolve('closed'));
  });
  return { id, stream, received, ended };
}

describe('agent endpoint: a link the gateway closes', () => {
  it.each([
    ['is revoked (4003)', 4003, (registry: AgentRegistry) => void registry.drop('edge', 'agent token revoked')],
    ['breaks the protocol (1002)', 1002, (_r: AgentRegistry, agent: Awaited<ReturnType<typeof rawAgent>>) => agent.sendText('hello')],
  ] as const)('when the agent %s, nothing it sends afterwards reaches a session, and its sessions end at once', async (_name, code, close) => {
    const { registry, token, port } = await endpoint();
    const agent = await rawAgent(port, token);
    const s = await openedStream(registry, agent);
    agent.send({ type: 'data', id: s.id, data: Buffer.from('before') });
    await agent.until(() => s.received.length === 1);

    close(registry, agent);
    // The agent keeps sending as if nothing happened, and never answers the close frame.
    agent.send({ type: 'data', id: s.id, data: Buffer.from('after') });
    await agent.until(() => agent.frames.some((f) => f.opcode === 8));
    agent.send({ type: 'data', id: s.id, data: Buffer.from('after the close frame') });

    // fail closed: the session ends now, not when ws gives up on the handshake (30 s later).
    expect(await s.ended).toMatch(/closed the link to agent "edge"/);
    expect(s.received).toEqual(['before']);
    expect(agent.frames.find((f) => f.opcode === 8)!.payload.readUInt16BE(0)).toBe(code);
    expect(registry.pick({ kind: 'agent', name: 'edge' })).toBeUndefined();
  });
});
