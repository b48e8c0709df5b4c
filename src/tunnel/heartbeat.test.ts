import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Heartbeat } from './heartbeat.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A client WebSocket to `port`, watched by a Heartbeat of `intervalMs`; `closed` says whether it dropped. */
async function watched(port: number, intervalMs: number, onBeat?: () => void) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await once(ws, 'open');
  const state = { closed: false };
  ws.on('close', () => (state.closed = true));
  const heartbeat = new Heartbeat(ws, intervalMs, onBeat);
  ws.on('message', () => heartbeat.heard());
  cleanups.push(() => ws.terminate());
  return { ws, state };
}

/**
 * A WebSocket server on its own thread (ws answers pings by itself): it answers while this
 * thread is busy, and a stall here never holds it up. Resolves with its port.
 */
async function peerThread(): Promise<number> {
  const peer = new Worker(
    `const { WebSocketServer } = require('ws');
     const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
     wss.on('listening', () => require('node:worker_threads').parentPort.postMessage(wss.address().port));`,
    { eval: true },
  );
  cleanups.push(() => peer.terminate());
  const [port] = (await once(peer, 'message')) as [number];
  return port;
}

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('Heartbeat', () => {
  it("keeps a link whose pong arrived while this process's event loop was stalled past an interval", async () => {
    const port = await peerThread();
    let stalled = false;
    const { state } = await watched(port, 100, () => {
      // After the first ping, block past the next tick outside the timers phase (as a long job on
      // another socket's data, or a starved CPU, does): the pong arrives meanwhile, unread.
      if (stalled) return;
      stalled = true;
      setImmediate(() => busyFor(400));
    });
    await sleep(600);
    expect(stalled).toBe(true);
    expect(state.closed).toBe(false);
  });

  it('counts messages as signs of life, and drops a link silent for a whole interval', async () => {
    // A peer that never answers pings, only sends messages.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    await once(wss, 'listening');
    cleanups.push(() => wss.close());
    let talking: NodeJS.Timeout | undefined;
    wss.on('connection', (peer) => (talking = setInterval(() => peer.send(Buffer.from('x')), 20)));
    cleanups.push(() => clearInterval(talking));
    const { state } = await watched((wss.address() as AddressInfo).port, 100);
    await sleep(500);
    expect(state.closed).toBe(false);
    clearInterval(talking);
    await sleep(400);
    expect(state.closed).toBe(true);
  });

  it('pings at every interval, runs onBeat, and stops when the link closes', async () => {
    const port = await peerThread();
    let beats = 0;
    const { ws, state } = await watched(port, 100, () => beats++);
    await sleep(600);
    expect(state.closed).toBe(false);
    expect(beats).toBeGreaterThanOrEqual(3);
    ws.close();
    await once(ws, 'close');
    const after = beats;
    await sleep(300);
    expect(beats).toBe(after);
  });
});
