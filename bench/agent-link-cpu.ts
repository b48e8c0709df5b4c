// The agent link's own CPU per exchange, without PostgreSQL, pgbench or a second process in the way.
//
// One process holds both ends of a real WebSocket link over loopback, wired the way
// src/tunnel/server.ts (gateway) and src/agent/link.ts (agent) wire theirs: the gateway's Mux
// opens SESSIONS streams (TunnelStream), the agent's Mux dials a local TCP target for each
// (SocketSplice), and every session then runs N exchanges: 100 bytes written into the stream,
// 300 bytes answered by the target. Prints the process CPU (user + system, GC threads included)
// per exchange after a warm-up. Run A and B of a change alternately in the same minutes (or under
// `valgrind --tool=callgrind`, and subtract two N's instruction counts) where bench/agent-ab.sh's
// CPU per transaction is too noisy to resolve a few µs.
//
// ROOT may be a checkout from before src/tunnel/wire.ts (the link then sends through ws.send, as
// those versions did), so the same script measures both sides of that change.
//
// Usage: [SESSIONS=8] [WARMUP=1000] npx tsx bench/agent-link-cpu.ts [ROOT=. (a checkout)] [N=3000]
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

const root = resolve(process.argv[2] ?? '.');
const n = Number(process.argv[3] ?? 3000);
const sessions = Number(process.env.SESSIONS ?? 8);
const warmup = Number(process.env.WARMUP ?? 1000);
const from = (p: string) => import(join(root, 'src', 'tunnel', p));
const { Mux } = await from('mux.ts');
const { coalesceWrites } = await from('coalesce.ts');
const { maxDataBytes } = await from('frames.ts');
const splice = await from('splice.ts');
const wire = await from('wire.ts').catch(() => undefined);

// The target: answers each read with 300 bytes, as PostgreSQL answers pgbench -S's query with one row.
const answer = Buffer.alloc(300, 7);
const target = createServer((s) => s.setNoDelay(true).on('data', () => s.write(answer)));
target.listen(0, '127.0.0.1');
await once(target, 'listening');
const targetPort = (target.address() as AddressInfo).port;

/** `send` for a Mux on `ws`: this tree's linkWire, or what the link did before it (ws.send, coalesced). */
const wireFor = (ws: WebSocket, socket: Duplex, masked: boolean) =>
  wire !== undefined ? wire.linkWire(ws, socket, masked) : { send: ((batch) => (f: Buffer) => (batch(), ws.send(f)))(coalesceWrites(socket)) };

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: maxDataBytes + 1024 });
await once(wss, 'listening');
const gatewayMux = new Promise<{ open(host: string, port: number): Promise<Duplex> }>((resolveMux) =>
  wss.on('connection', (ws, req) => {
    const mux = new Mux(wireFor(ws, req.socket, false));
    ws.on('message', (d) => mux.receive(d as Buffer));
    resolveMux(mux);
  }),
);
const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
  perMessageDeflate: false,
  maxPayload: maxDataBytes + 1024,
  generateMask: (mask: Buffer) => void mask.fill(0),
});
let send = (_m: Buffer) => {};
ws.once('upgrade', (res) => (send = wireFor(ws, res.socket, true).send));
const dial = async (host: string, port: number): Promise<Socket> => {
  const s: Socket = splice.connectTarget ? splice.connectTarget(host, port) : connect({ host, port, noDelay: true });
  await once(s, 'connect');
  return s;
};
const agent = new Mux({ ...(wire ? { encode: (f: unknown) => wire.encodeWsFrame(f, true) } : {}), send: (m: Buffer) => send(m), dial });
ws.on('message', (d) => agent.receive(d as Buffer));
await once(ws, 'open');
const gateway = await gatewayMux;

const query = Buffer.alloc(100, 1);
const streams = await Promise.all(Array.from({ length: sessions }, () => gateway.open('127.0.0.1', targetPort)));
/** `count` exchanges on every stream at once. */
async function run(count: number): Promise<void> {
  await Promise.all(
    streams.map(async (s) => {
      for (let i = 0; i < count; i++) {
        s.write(query);
        for (let got = 0; got < answer.length; ) got += ((await once(s, 'data')) as [Buffer])[0].length;
      }
    }),
  );
}
await run(warmup);
const t0 = process.cpuUsage();
await run(n);
const used = process.cpuUsage(t0);
const exchanges = n * sessions;
console.log(JSON.stringify({ root, linkWire: wire !== undefined, exchanges, usPerExchange: +((used.user + used.system) / exchanges).toFixed(2) }));
ws.terminate();
wss.close();
target.close();
process.exit(0);
