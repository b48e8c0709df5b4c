import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptOnread, asAccepted, connectOnread } from './onread-socket.ts';
import { loadGatewayTls } from './tls.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server on a free loopback port and a connectOnread client to it, with the server's end of the connection. */
async function pair(onAccept?: (peer: Socket) => void): Promise<{ client: Socket; peer: Socket }> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', (s: Socket) => (onAccept?.(s), r(s))));
  const client = connectOnread('127.0.0.1', (server.address() as { port: number }).port);
  sockets.push(client);
  await new Promise((r) => client.once('connect', r));
  const peer = await accepted;
  sockets.push(peer);
  return { client, peer };
}

/** Writes `chunks` one per event-loop turn, so that each is its own read on the other side. */
async function send(peer: Socket, ...chunks: string[]): Promise<void> {
  for (const c of chunks) {
    peer.write(c);
    await sleep(10);
  }
}

function collect(s: Socket): string[] {
  const got: string[] = [];
  s.on('data', (b: Buffer) => got.push(b.toString()));
  return got;
}

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('connectOnread', () => {
  it('delivers owned copies: a chunk kept by a listener is not overwritten by later reads', async () => {
    const { client, peer } = await pair();
    const kept: Buffer[] = [];
    client.on('data', (b: Buffer) => kept.push(b));
    await send(peer, 'first', 'second', 'third');
    expect(kept.map(String)).toEqual(['first', 'second', 'third']);
  });

  it('delivers owned copies of every size: same-size reads and reads over 4 KiB keep their bytes after later reads', async () => {
    const { client, peer } = await pair();
    const kept: Buffer[] = [];
    client.on('data', (b: Buffer) => kept.push(b));
    const sent = ['aaaa', 'bbbb', 'cccc', 'x'.repeat(4095), 'y'.repeat(4095), 'z'.repeat(5000), 'w'.repeat(5000)];
    await send(peer, ...sent);
    expect(kept.map(String)).toEqual(sent);
  });

  it('buffers in order what arrives before any listener, and hands it to the first one', async () => {
    const { client, peer } = await pair();
    await send(peer, 'a', 'b', 'c');
    expect(client.readableLength).toBe(3);
    const got = collect(client);
    await send(peer, 'd');
    expect(got.join('')).toBe('abcd');
  });

  it('holds what arrives between one listener leaving and the next attaching (a plain socket would drop it)', async () => {
    const { client, peer } = await pair();
    const first: string[] = [];
    const l = (b: Buffer) => first.push(b.toString());
    client.on('data', l);
    await send(peer, 'login');
    client.off('data', l);
    expect(client.readableFlowing).toBe(true);
    await send(peer, 'x', 'y');
    const order: string[] = [];
    client.on('data', (b: Buffer) => order.push(b.toString()));
    // What the consumer hands its new listener synchronously (a reader's leftover) comes before the held bytes.
    order.push('leftover');
    await send(peer, 'z');
    expect(first).toEqual(['login']);
    expect(order[0]).toBe('leftover');
    expect(order.join('')).toBe('leftoverxyz');
  });

  it('reads nothing while paused (also when paused from a listener) and goes on, in order, on resume', async () => {
    const { client, peer } = await pair();
    const got: string[] = [];
    client.on('data', (b: Buffer) => {
      got.push(b.toString());
      if (got.length === 1) client.pause();
    });
    await send(peer, '1', '2', '3');
    expect(got).toEqual(['1']);
    client.resume();
    await sleep(20);
    expect(got.join('')).toBe('123');
  });

  it('emits end then close after the data, when the FIN came before anyone listened', async () => {
    const { client, peer } = await pair();
    peer.end('bye');
    await sleep(30);
    const events: string[] = [];
    client.on('data', (b: Buffer) => events.push(`data:${b}`));
    client.on('end', () => events.push('end'));
    await new Promise((r) => client.on('close', r));
    expect(events).toEqual(['data:bye', 'end']);
  });

  it('emits end after held data when the FIN followed it while no listener was attached', async () => {
    const { client, peer } = await pair();
    const l = () => undefined;
    client.on('data', l);
    client.off('data', l);
    await send(peer, 'late');
    peer.end();
    await sleep(20);
    const events: string[] = [];
    client.on('data', (b: Buffer) => events.push(`data:${b}`));
    client.on('end', () => events.push('end'));
    await new Promise((r) => client.on('close', r));
    expect(events).toEqual(['data:late', 'end']);
  });

  it('passes many chunks of every size through unchanged, under backpressure from a slow consumer', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const { client, peer } = await pair();
    // 1 MB lands before anyone listens: the Readable fills, reading stops, and restarts as it drains.
    let at = 0;
    const write = (n: number) => {
      peer.write(payload.subarray(at, at + n));
      at += n;
    };
    write(1 << 20);
    await sleep(30);
    expect(client.readableLength).toBeLessThan(1 << 20);
    const got: Buffer[] = [];
    let pauses = 0;
    client.on('data', (b: Buffer) => {
      got.push(b);
      if (got.length % 7 === 0) {
        pauses++;
        client.pause();
        setTimeout(() => client.resume(), 1);
      }
    });
    const ended = new Promise((r) => client.once('end', r));
    for (let i = 1; at < payload.length; i++) write(Math.min(payload.length - at, (i * 7919) % 70_000 || 1));
    peer.end();
    await ended;
    expect(pauses).toBeGreaterThan(0);
    expect(Buffer.concat(got).equals(payload)).toBe(true);
  });

  it('decodes as a plain socket does when an encoding is set', async () => {
    const { client, peer } = await pair();
    client.setEncoding('utf8');
    const got: unknown[] = [];
    client.on('data', (s: unknown) => got.push(s));
    await send(peer, 'é');
    expect(got).toEqual(['é']);
  });

  it('reports a reset as an error, then close', async () => {
    const { client, peer } = await pair();
    const events: string[] = [];
    client.on('error', (err: NodeJS.ErrnoException) => events.push(`error:${err.code}`));
    client.on('data', () => events.push('data'));
    await send(peer, 'x');
    peer.resetAndDestroy();
    await new Promise((r) => client.on('close', r));
    expect(events).toEqual(['data', 'error:ECONNRESET']);
  });

  it('delivers nothing after destroy', async () => {
    const { client, peer } = await pair();
    const got = collect(client);
    await send(peer, 'a');
    client.destroy();
    peer.write('b');
    await sleep(20);
    expect(got).toEqual(['a']);
  });

  it('hands its handle to a TLS layer (tls.connect({ socket })) after a plaintext exchange', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warden-onread-'));
    try {
      const { certPem, keyPem } = await loadGatewayTls({ certFile: '', keyFile: '', dataDir });
      // Like PostgreSQL's SSLRequest: a plaintext question, a one-byte answer, then TLS on the same connection.
      const { client } = await pair((peer) =>
        peer.once('data', () => {
          peer.write('S');
          const secure = new TLSSocket(peer, { isServer: true, cert: certPem, key: keyPem });
          secure.on('data', (b: Buffer) => secure.write(Buffer.concat([Buffer.from('echo:'), b])));
        }),
      );
      client.write('ssl?');
      const answer = await new Promise<Buffer>((r) => client.once('data', r));
      expect(answer.toString()).toBe('S');
      const secure = tlsConnect({ socket: client, rejectUnauthorized: false });
      sockets.push(secure);
      await new Promise((r) => secure.once('secureConnect', r));
      const got = collect(secure);
      secure.write('hello');
      secure.write('x'.repeat(200_000));
      const expected = `hello${'x'.repeat(200_000)}`;
      for (let i = 0; i < 100 && got.join('').replaceAll('echo:', '').length < expected.length; i++) await sleep(10);
      expect(got.join('').startsWith('echo:hello')).toBe(true);
      expect(got.join('').replaceAll('echo:', '')).toBe(expected);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** A pauseOnConnect server whose accepted sockets go through `adopt`, and a plain client to it. */
async function accepted(adopt: (s: Socket) => Socket): Promise<{ server: Server; client: Socket; taken: Socket; original: Socket }> {
  let original: Socket | undefined;
  let taken: Socket | undefined;
  const server = createServer({ pauseOnConnect: true }, (s) => {
    original = s;
    taken = adopt(s);
    sockets.push(taken);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
  sockets.push(client);
  await new Promise((r) => client.once('connect', r));
  while (taken === undefined) await sleep(5);
  return { server, client, taken, original: original! };
}

/** Whether `s` reads into a buffer of its own (net's onread): Node keeps it under an internal symbol. */
function readsThroughOnread(s: Socket): boolean {
  return Object.getOwnPropertySymbols(s).some((k) => k.description === 'kBuffer' && Boolean((s as unknown as Record<symbol, unknown>)[k]));
}

describe('adoptOnread', () => {
  it('re-makes an accepted socket to read through onread, keeping what the client sent before anyone listened, in order', async () => {
    const { client, taken, original } = await accepted(adoptOnread);
    // Loud on a Node where the handle could not be taken over (the gateway would then run, slower, on the accepted socket).
    expect(taken).not.toBe(original);
    expect(readsThroughOnread(taken)).toBe(true);
    expect(taken.remoteAddress).toBe('127.0.0.1');
    await send(client, 'a', 'b', 'c');
    const got = collect(taken);
    await sleep(20);
    expect(got.join('')).toBe('abc');
    taken.write('pong');
    const back = await new Promise<Buffer>((r) => client.once('data', r));
    expect(String(back)).toBe('pong');
  });

  it('ends with the client, and the server still closes once its connections are gone', async () => {
    const { server, client, taken } = await accepted(adoptOnread);
    collect(taken);
    const ended = new Promise((r) => taken.once('end', r));
    client.end();
    await ended;
    taken.destroy();
    await new Promise<void>((r, j) => server.close((err) => (err ? j(err) : r())));
  });
});

describe('asAccepted', () => {
  it('hands a paused-on-connect socket over as a server without pauseOnConnect would: reading, flowing once a listener comes', async () => {
    const { client, taken, original } = await accepted(asAccepted);
    expect(taken).toBe(original);
    await send(client, 'x', 'y');
    const got = collect(taken);
    await sleep(20);
    expect(got.join('')).toBe('xy');
  });
});
