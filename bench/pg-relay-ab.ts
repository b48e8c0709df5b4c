// A/B of the PostgreSQL relay's own CPU per pgbench -S transaction: bench/pg-relay-cpu.ts's
// sessions (each root's bench/pg-relay-gateway.ts, so each root's own modules) side by side in
// one process, their rounds interleaved (which root goes first alternating), so load and GC
// drift hit both alike. Prints each root's median and rounds, the median of the per-round
// differences B - A and in how many rounds B was cheaper. As in bench/mysql-relay-cpu.ts, the
// roots share Node's built-ins: confirm a change in how a built-in is called in separate processes.
//
// The second root tends to come out a little ahead or behind whatever it holds: run both orders
// (A B, then B A) and count the rounds each side won over the two. Measured so (pgbench -S simple,
// 2 × 2 runs of 30 rounds): the relay's tag and RowDescription reuse, the classification cache's
// last key and the tracker's tag memo together were cheaper in 100 of 120 rounds, by ~0.3 µs.
//
// Usage: [MODES='simple prepared'] [CONNS='bench bench_mask'] [SESSIONS=8] [WARMUP=20000] [ROUNDS=10] npx tsx bench/pg-relay-ab.ts ROOT… [N=100000]
import { join, resolve } from 'node:path';
import { interleavedCpu, printAb } from './interleave.ts';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const roots = args.filter((a) => !/^\d+$/.test(a)).map((a) => resolve(a));
if (roots.length === 0) roots.push(resolve('.'));
const warmup = Number(process.env.WARMUP ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 10);
const k = Math.max(1, Number(process.env.SESSIONS ?? 8));
type GatewayModule = typeof import('./pg-relay-gateway.ts');
type SocketModule = typeof import('./fake-socket.ts');

const loaded = await Promise.all(
  roots.map(async (root, i) => {
    const g = (await import(join(root, 'bench/pg-relay-gateway.ts'))) as GatewayModule;
    const s = (await import(join(root, 'bench/fake-socket.ts'))) as SocketModule;
    return { root, g, s, gateway: await g.createBenchGateway(`pg-relay-ab-${i}`) };
  }),
);
type Loaded = (typeof loaded)[number];

async function openSession(r: Loaded, connection: string, mode: 'simple' | 'prepared', seq: number) {
  const client = new r.s.FakeSocket();
  const upstream = new r.s.FakeSocket();
  const session = await r.gateway.open(connection, `ses_${connection}_${mode}_${seq}`, client, upstream);
  const roundTrip = r.s.roundTripper(client, upstream);
  if (mode === 'prepared') await roundTrip(r.g.prepareSync, r.g.prepared);
  return { roundTrip, close: session.close };
}

async function run(connection: string, mode: 'simple' | 'prepared'): Promise<number[][]> {
  const sessions = await Promise.all(loaded.map((r, i) => Promise.all(Array.from({ length: k }, (_, j) => openSession(r, connection, mode, i * 100 + j)))));
  const commands = Array.from({ length: 10_007 }, (_, i) => loaded[0]!.g.commandOf(mode, ((i * 7919) % 1_000_000) + 1));
  const answer = loaded[0]!.g.answerOf(mode);
  let sent = 0;
  const send = async (side: number, count: number) => {
    for (let i = 0; i < count; i++, sent++) await sessions[side]![sent % k]!.roundTrip(commands[sent % commands.length]!, answer);
  };
  const results = await interleavedCpu(loaded.length, send, { warmup, rounds, perRound: Math.ceil(n / rounds) });
  for (const s of sessions.flat()) await s.close();
  return results;
}

try {
  for (const mode of (process.env.MODES ?? 'simple prepared').split(' ').filter(Boolean) as ('simple' | 'prepared')[]) {
    for (const connection of (process.env.CONNS ?? 'bench bench_mask').split(' ').filter(Boolean)) {
      const results = await run(connection, mode);
      printAb(`${connection} ${mode}`, 'µs/tx', results, loaded.map((r) => r.root));
    }
  }
} finally {
  for (const r of loaded) r.gateway.dispose();
}
