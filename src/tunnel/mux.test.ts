import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from './frames.ts';
import { Mux } from './mux.ts';
import { connectTarget } from './splice.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** How the agent's dial connects: a plain socket ('data' events), or the agent's own (shared read buffer). */
type Connect = (port: number) => Socket;
const plainSocket: Connect = (port) => connect(port, '127.0.0.1');
const sharedBufferSocket: Connect = (port) => connectTarget('127.0.0.1', port);

/**
 * Two muxes joined back to back (asynchronously, like a socket), counting the data bytes sent
 * each way. The agent's dial reaches a real local TCP server: `accepted` holds the server's end of
 * each target connection, `dialed` the agent's.
 */
async function pairOf(window: number, open: Connect = plainSocket, greeting?: string) {
  const accepted: Socket[] = [];
  const dialed: Socket[] = [];
  const server = createServer((s) => {
    accepted.push(s.on('error', () => undefined));
    if (greeting !== undefined) s.end(greeting);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const targetPort = (server.address() as AddressInfo).port;
  cleanups.push(() => {
    for (const s of [...accepted, ...dialed]) s.destroy();
    server.close();
  });
  const sent = { toAgent: 0, toGateway: 0 };
  const count = (f: Buffer, dir: keyof typeof sent) => {
    const d = decodeFrame(f);
    if (d.type === 'data') sent[dir] += d.data.length;
  };
  let gateway!: Mux;
  const agent = new Mux({
    windowBytes: window,
    send: (f) => (count(f, 'toGateway'), setImmediate(() => gateway.receive(f))),
    dial: async (host, port) => {
      if (port === 1) throw new Error(`${host}:${port} is not allowed`);
      const s = open(targetPort);
      dialed.push(s);
      await once(s, 'connect');
      while (accepted.length < dialed.length) await new Promise((r) => setImmediate(r));
      // A greeting then reaches the agent's socket before the splice attaches to it.
      if (greeting !== undefined) await new Promise((r) => setTimeout(r, 50));
      return s;
    },
  });
  gateway = new Mux({ windowBytes: window, send: (f) => (count(f, 'toAgent'), setImmediate(() => agent.receive(f))) });
  return { gateway, agent, accepted, dialed, sent };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('tunnel mux: frames', () => {
  it('round-trips every frame type', () => {
    for (const f of [
      { type: 'open', id: 7, host: 'db', port: 5432 },
      { type: 'opened', id: 7 },
      { type: 'data', id: 7, data: Buffer.from('abc') },
      { type: 'credit', id: 7, bytes: 65536 },
      { type: 'end', id: 7 },
      { type: 'error', id: 7, message: 'nope' },
      { type: 'auth', id: 7, body: { op: 'md5', salt: 'AQIDBA==' } },
    ] as const) expect(decodeFrame(encodeFrame(f))).toEqual(f);
    expect(() => decodeFrame(Buffer.from([8, 0, 0, 0, 1, 0x5b, 0x5d]))).toThrow(/JSON object/);
    expect(() => decodeFrame(Buffer.from([9, 0, 0, 0, 1]))).toThrow(/unknown frame type/);
    expect(() => decodeFrame(Buffer.from([1, 0, 0, 0, 1, 0x7b, 0x7d]))).toThrow(/host and port/);
  });

  it('carries the replica list to an agent that listens for it, and refuses a malformed one', () => {
    const f: Frame = { type: 'replicas', id: 0, self: 'rep_a', replicas: [{ id: 'rep_a', url: 'http://10.0.0.1:17080' }, { id: 'rep_b', url: 'wss://gw-b:17080/api/v1/agents/connect' }] };
    expect(decodeFrame(encodeFrame(f))).toEqual(f);
    const bad = (payload: unknown) => Buffer.concat([Buffer.from([7, 0, 0, 0, 0]), Buffer.from(JSON.stringify(payload))]);
    expect(() => decodeFrame(bad({ self: 'rep_a', replicas: [{ id: 'rep_b', url: 'file:///etc/passwd' }] }))).toThrow(/replica list/);
    expect(() => decodeFrame(bad({ replicas: [] }))).toThrow(/replica list/);
    const heard: string[] = [];
    let agent!: Mux;
    const gateway = new Mux({ send: (b) => agent.receive(b) });
    agent = new Mux({ send: () => undefined, onReplicas: (self, list) => heard.push(self, ...list.map((r) => r.id)) });
    gateway.announceReplicas('rep_a', f.type === 'replicas' ? f.replicas : []);
    expect(heard).toEqual(['rep_a', 'rep_a', 'rep_b']);
  });
});

describe.each([
  ['plain target sockets', plainSocket],
  ['target sockets reading into the shared buffer', sharedBufferSocket],
])('tunnel mux streams, %s', (_name, connectSocket) => {
  const pair = (window: number) => pairOf(window, connectSocket);

  it('delivers what a target says and its FIN before the stream is spliced (a server that speaks first)', async () => {
    const { gateway } = await pairOf(1024, connectSocket, 'Greeting from the target');
    const s = await gateway.open('db', 5432);
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    await once(s, 'end');
    expect(Buffer.concat(got).toString()).toBe('Greeting from the target');
  });

  it('refuses an open with the far end’s message', async () => {
    const { gateway } = await pair(1024);
    await expect(gateway.open('10.0.0.1', 1)).rejects.toThrow('10.0.0.1:1 is not allowed');
  });

  it('a stream whose reader stalls holds back only itself, and the sender never runs past the window', async () => {
    const window = 64 * 1024;
    const { gateway, accepted, sent } = await pair(window);
    const slow = await gateway.open('db', 5432);
    const fast = await gateway.open('db', 5432);
    const [slowTarget, fastTarget] = accepted as [Socket, Socket];

    // The target pours 8 MiB (more than loopback's socket buffers hold) into the slow stream,
    // whose gateway-side reader never reads.
    slow.pause();
    // A pattern, not a constant: bytes held on the agent must not be overwritten by the fast stream's reads.
    const big = Buffer.from(Array.from({ length: 8 * 1024 * 1024 }, (_, i) => i % 251));
    let bigDone = false;
    slowTarget.write(big, () => (bigDone = true));

    // Meanwhile the fast stream carries a full echo exchange to completion.
    fastTarget.on('data', (c: Buffer) => fastTarget.write(c));
    const echoed: Buffer[] = [];
    fast.on('data', (c: Buffer) => echoed.push(c));
    for (let i = 0; i < 50; i++) fast.write(Buffer.alloc(10_000, i));
    await until(() => Buffer.concat(echoed).length >= 500_000);
    expect(Buffer.concat(echoed)).toEqual(Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.alloc(10_000, i))));

    // The slow stream got at most one window across the link, and the big write is still waiting.
    expect(bigDone).toBe(false);
    expect(sent.toGateway - 500_000).toBeLessThanOrEqual(window);

    // Once its reader reads, everything arrives, in order.
    let got = 0;
    const received: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((got += c.length), received.push(c), cb()) });
    slow.pipe(sink);
    slow.resume();
    await until(() => got >= big.length);
    expect(got).toBe(big.length);
    expect(Buffer.concat(received).equals(big)).toBe(true);
    await until(() => bigDone);
  });

  it('a target that stops reading holds the gateway’s writes back at one window: the agent buffers no more', async () => {
    const window = 64 * 1024;
    const { gateway, accepted, dialed, sent } = await pair(window);
    const s = await gateway.open('db', 5432);
    const target = accepted[0]!;
    target.pause();
    // 16 MiB written by the gateway side into a target that reads nothing.
    const chunks = Array.from({ length: 256 }, (_, i) => Buffer.alloc(64 * 1024, i));
    let written = 0;
    for (const c of chunks) s.write(c, () => (written += c.length));
    await until(() => sent.toAgent > 0);
    let last = -1;
    while (sent.toAgent !== last) {
      last = sent.toAgent;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The socket buffers and the agent's socket queue hold what crossed; the agent queues at most
    // one window beyond what its socket takes without backpressure.
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(dialed[0]!.writableLength).toBeLessThanOrEqual(window + dialed[0]!.writableHighWaterMark);
    // Reading resumes: every byte arrives, in order.
    const got: Buffer[] = [];
    target.on('data', (c: Buffer) => got.push(c));
    target.resume();
    await until(() => got.reduce((n, c) => n + c.length, 0) >= 16 * 1024 * 1024);
    expect(Buffer.concat(got).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('ends both halves cleanly and forgets the stream', async () => {
    const { gateway, agent, accepted } = await pair(1024);
    const s = await gateway.open('db', 5432);
    const far = accepted[0]!;
    far.resume(); // the server ends its half when the agent's socket does (no half-open)
    s.resume();
    s.end();
    await new Promise((r) => s.on('close', r));
    await until(() => agent.size === 0);
    expect(gateway.size).toBe(0);
    expect(agent.size).toBe(0);
  });

  it('a target that resets its connection resets the stream with the reason', async () => {
    const { gateway, agent, accepted } = await pair(1024);
    const s = await gateway.open('db', 5432);
    const closed = new Promise<Error | undefined>((r) => s.on('error', r));
    accepted[0]!.resetAndDestroy();
    expect((await closed)?.message).toMatch(/target connection failed: ECONNRESET/);
    await until(() => agent.size === 0 && gateway.size === 0);
  });

  it('a dropped link ends every stream with the reason', async () => {
    const { gateway, agent, dialed } = await pair(1024);
    const s = await gateway.open('db', 5432);
    const closed = new Promise<Error | undefined>((r) => s.on('error', r));
    gateway.close(new Error('the link to agent "edge" dropped'));
    expect((await closed)?.message).toMatch(/agent "edge" dropped/);
    await expect(gateway.open('db', 5432)).rejects.toThrow(/dropped/);
    agent.close(new Error('the agent link dropped'));
    expect(dialed[0]!.destroyed).toBe(true);
    expect(agent.size).toBe(0);
  });
});
