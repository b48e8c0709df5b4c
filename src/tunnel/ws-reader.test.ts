import { PassThrough } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { writeMaskKey } from './ws-mask.ts';
import { tapMessages } from './ws-reader.ts';

/** ws's frame reader (exported by ws, not typed by @types/ws): a Writable emitting what it reads. */
type WsReceiver = NodeJS.WritableStream & { on(event: string, listener: (...args: never[]) => void): WsReceiver };
const Receiver = (ws as unknown as { Receiver: new (o: object) => WsReceiver }).Receiver;

/** One WebSocket frame (RFC 6455 §5.2): `first` is the FIN/RSV/opcode byte; masked with a fresh key when `masked`. */
function frame(first: number, payload: Buffer, masked: boolean): Buffer {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = first;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(n, 2);
  if (ext === 8) head.writeUInt32BE(n, 6);
  const body = Buffer.from(payload);
  if (masked) {
    writeMaskKey(head, 2 + ext);
    for (let i = 0; i < n; i++) body[i]! ^= head[2 + ext + (i & 3)]!;
  }
  return Buffer.concat([head, body]);
}

type Sent = { kind: 'binary' | 'text' | 'fragmented' | 'ping' | 'rsv' | 'unmasked'; payload: Buffer };

/** The bytes for `s` as a peer would send them, and what the reading end should report for it. */
function wire(s: Sent, masked: boolean): { bytes: Buffer; event: string } {
  const p = s.payload;
  const hex = p.toString('hex');
  switch (s.kind) {
    case 'binary':
      return { bytes: frame(0x82, p, masked), event: `message:${hex}` };
    case 'text':
      return { bytes: frame(0x81, Buffer.from(hex), masked), event: `text:${hex}` };
    case 'fragmented': {
      const cut = p.length >> 1;
      return { bytes: Buffer.concat([frame(0x02, p.subarray(0, cut), masked), frame(0x80, p.subarray(cut), masked)]), event: `message:${hex}` };
    }
    case 'ping':
      return { bytes: frame(0x89, p.subarray(0, 125), masked), event: `ping:${p.subarray(0, 125).toString('hex')}` };
    case 'rsv':
      // RSV1 without an extension that defines it: ws must fail the link (1002).
      return { bytes: frame(0xc2, p, masked), event: 'error:1002' };
    case 'unmasked':
      // The wrong masking for this direction: ws must fail the link (1002).
      return { bytes: frame(0x82, p, !masked), event: 'error:1002' };
  }
}

/**
 * A socket stand-in whose only 'data' listener feeds a real ws Receiver (as ws wires a
 * WebSocket's socket), with the tap in front; every event either reader reports, in order.
 */
function tapped(masked: boolean, maxPayload = 1 << 20) {
  const socket = new PassThrough();
  const events: string[] = [];
  const receiver = new Receiver({ isServer: masked, maxPayload, binaryType: 'nodebuffer' });
  let open = true;
  receiver.on('message', (d: Buffer, isBinary: boolean) => events.push(`${isBinary ? 'message' : 'text'}:${isBinary ? d.toString('hex') : d.toString()}`));
  receiver.on('ping', (d: Buffer) => events.push(`ping:${d.toString('hex')}`));
  receiver.on('error', (e: Error & Record<symbol, unknown>) => {
    open = false;
    // ws keeps the close code it would send under a symbol of its own.
    events.push(`error:${Object.getOwnPropertySymbols(e).map((k) => e[k]).find((v) => typeof v === 'number')}`);
  });
  socket.on('data', (chunk: Buffer) => void receiver.write(chunk));
  const took = tapMessages(socket, { masked, maxPayload, isOpen: () => open, onMessage: (d) => events.push(`message:${d.toString('hex')}`) });
  return { socket, events, took };
}

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 60 }),
  fc.uint8Array({ minLength: 120, maxLength: 300 }),
  fc.constantFrom(65535, 65536, 70_000).map((n) => new Uint8Array(n).fill(n & 0xff)),
);
const sent = (kinds: Sent['kind'][]) => fc.record({ kind: fc.constantFrom(...kinds), payload: payload.map((a) => Buffer.from(a)) });

describe('tapMessages', () => {
  it('reports the messages and control frames ws would, in order, however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(sent(['binary', 'binary', 'text', 'fragmented', 'ping']), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (masked, list, cutsAt) => {
        const { socket, events, took } = tapped(masked);
        expect(took).toBe(true);
        const frames = list.map((s) => wire(s, masked));
        const bytes = Buffer.concat(frames.map((f) => f.bytes));
        const cuts = [...new Set(cutsAt.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const c of [...cuts, bytes.length]) {
          if (c > from) socket.write(bytes.subarray(from, c));
          from = Math.max(from, c);
        }
        expect(events).toEqual(frames.map((f) => f.event));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves to ws the frames it must refuse, and everything after them', async () => {
    for (const masked of [true, false]) {
      for (const bad of ['rsv', 'unmasked'] as const) {
        const { socket, events } = tapped(masked);
        const before = wire({ kind: 'binary', payload: Buffer.from('before') }, masked);
        const refused = wire({ kind: bad, payload: Buffer.from('bad') }, masked);
        const after = wire({ kind: 'binary', payload: Buffer.from('after') }, masked);
        socket.write(Buffer.concat([before.bytes, refused.bytes, after.bytes]));
        await turn(); // ws reports a refused frame on the next tick
        expect(events).toEqual([before.event, 'error:1002']);
      }
    }
  });

  it('leaves an oversized message to ws, which refuses it (1009)', async () => {
    const { socket, events } = tapped(true, 100);
    socket.write(frame(0x82, Buffer.alloc(101), true));
    await turn();
    expect(events).toEqual(['error:1009']);
  });

  it('changes nothing on a socket that does not have exactly one data listener', () => {
    const socket = new PassThrough();
    expect(tapMessages(socket, { masked: true, maxPayload: 100, isOpen: () => true, onMessage: () => undefined })).toBe(false);
    socket.on('data', () => undefined).on('data', () => undefined);
    expect(tapMessages(socket, { masked: true, maxPayload: 100, isOpen: () => true, onMessage: () => undefined })).toBe(false);
    expect(socket.listenerCount('data')).toBe(2);
  });
});
