import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeFrame, type Frame } from './frames.ts';
import { encodeWsFrame, linkWire } from './wire.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A real ws server and client on loopback; each side's raw socket and the messages ws hands each side. */
async function link() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const got = { server: [] as Buffer[], client: [] as Buffer[] };
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
    wss.on('connection', (ws, req) => {
      ws.on('message', (d, isBinary) => isBinary && got.server.push(d as Buffer));
      resolve({ ws, socket: req.socket });
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  // ws emits 'open' in the same tick as 'upgrade': listen for both at once.
  const upgraded = once(client, 'upgrade') as Promise<[{ socket: Duplex }]>;
  await once(client, 'open');
  const [res] = await upgraded;
  client.on('message', (d, isBinary) => isBinary && got.client.push(d as Buffer));
  const server = await accepted;
  cleanups.push(() => {
    client.terminate();
    wss.close();
  });
  return { server, client: { ws: client, socket: res.socket }, got };
}

/** The opcode of each WebSocket frame in `b` (short lengths only: these tests' frames are small). */
function opcodes(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < b.length; ) {
    out.push(b[at]! & 0x0f);
    at += 2 + (b[at + 1]! & 0x80 ? 4 : 0) + (b[at + 1]! & 0x7f);
  }
  return out;
}

/** The payload of one masked WebSocket frame, unmasked with the key it carries (RFC 6455 §5.3). */
function unmasked(frame: Buffer): Buffer {
  const len = frame[1]! & 0x7f;
  const keyAt = 2 + (len === 126 ? 2 : len === 127 ? 8 : 0);
  const payload = Buffer.from(frame.subarray(keyAt + 4));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= frame[keyAt + (i & 3)]!;
  return payload;
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('encodeWsFrame and linkWire', () => {
  it('writes messages that ws reads as the same tunnel frames, both ways and at every length encoding', async () => {
    const { server, client, got } = await link();
    // 120 + 5 fits the 7-bit length, 121 + 5 is the first 16-bit one, 70,000 needs the 64-bit form.
    const sizes = [0, 1, 120, 121, 200, 32 * 1024, 65530, 65531, 70_000];
    const frames: Frame[] = [
      ...sizes.map((n, i): Frame => ({ type: 'data', id: i + 1, data: Buffer.alloc(n, i + 1) })),
      { type: 'credit', id: 3, bytes: 65536 },
      { type: 'open', id: 4, host: 'db.internal', port: 5432 },
      { type: 'end', id: 5 },
      { type: 'error', id: 6, message: 'x'.repeat(300) },
    ];
    const toClient = linkWire(server.ws, server.socket, false);
    const toServer = linkWire(client.ws, client.socket, true);
    for (const f of frames) {
      toClient.send(toClient.encode(f));
      toServer.send(toServer.encode(f));
    }
    await until(() => got.server.length === frames.length && got.client.length === frames.length);
    // Payloads compared as hex: element-wise equality of large Buffers takes seconds.
    const plain = (f: Frame) => (f.type === 'data' ? { ...f, data: f.data.toString('hex') } : f);
    expect(got.client.map((m) => plain(decodeFrame(m)))).toEqual(frames.map(plain));
    expect(got.server.map((m) => plain(decodeFrame(m)))).toEqual(frames.map(plain));
    // ws's own frames share the socket without breaking either stream of messages.
    client.ws.ping();
    await once(client.ws, 'pong');
  });

  it('masks client messages with a fresh random key per message and leaves server messages unmasked', () => {
    const f: Frame = { type: 'data', id: 0x01020304, data: Buffer.from('hi') };
    expect([...encodeWsFrame(f, false)]).toEqual([0x82, 7, 3, 1, 2, 3, 4, 0x68, 0x69]);
    const masked = encodeWsFrame(f, true);
    expect([...masked.subarray(0, 2)]).toEqual([0x82, 0x80 | 7]);
    expect([...unmasked(masked)]).toEqual([3, 1, 2, 3, 4, 0x68, 0x69]);
    // RFC 6455 §5.3: unpredictable keys. 200 messages: 32-bit keys from a CSPRNG do not repeat here.
    const keys = new Set(Array.from({ length: 200 }, () => encodeWsFrame(f, true).subarray(2, 6).toString('hex')));
    expect(keys.size).toBe(200);
    expect(keys.has('00000000')).toBe(false);
  });

  it('masks every frame type and length so that unmasking gives the unmasked message payload', () => {
    const frame = fc.oneof(
      fc.record({ type: fc.constant('data' as const), id: fc.nat(), data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }),
      fc.record({ type: fc.constant('error' as const), id: fc.nat(), message: fc.string({ maxLength: 200 }) }),
      fc.record({ type: fc.constant('credit' as const), id: fc.nat(), bytes: fc.nat() }),
    );
    fc.assert(
      fc.property(frame, (f) => {
        const plain = encodeWsFrame(f, false);
        const masked = encodeWsFrame(f, true);
        const head = plain[1]! & 0x7f;
        const headerLength = 2 + (head === 126 ? 2 : head === 127 ? 8 : 0);
        expect(masked[1]).toBe(plain[1]! | 0x80);
        expect(unmasked(masked).equals(plain.subarray(headerLength))).toBe(true);
      }),
    );
  });

  it('writes nothing once the WebSocket is closing, so no message follows a close frame', async () => {
    const { server, client, got } = await link();
    // Every byte the client's socket sent, as the server's socket reads it, to read the frames' opcodes back
    // (ws ignores data after a close frame, so its messages alone would not show one).
    const written: Buffer[] = [];
    server.socket.on('data', (chunk: Buffer) => written.push(Buffer.from(chunk)));
    const toServer = linkWire(client.ws, client.socket, true);
    toServer.send(toServer.encode({ type: 'end', id: 1 }));
    await turn(); // written at the end of its turn
    toServer.send(toServer.encode({ type: 'end', id: 2 }));
    client.ws.close(1000, 'bye'); // in the same turn: its close frame goes out now, and 2 never does
    toServer.send(toServer.encode({ type: 'end', id: 3 }));
    const [code] = (await once(server.ws, 'close')) as [number];
    await turn();
    expect(code).toBe(1000);
    expect(got.server.map((m) => decodeFrame(m).id)).toEqual([1]);
    expect(opcodes(Buffer.concat(written))).toEqual([2, 8]); // binary, close: nothing after it
  });
});
