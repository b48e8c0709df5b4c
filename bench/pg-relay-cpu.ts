// The PostgreSQL relay's own CPU per pgbench -S transaction, without sockets or a loaded machine in the way.
//
// Drives the gateway side of bench/pg-relay-gateway.ts (the real Relay, gatekeeper, policy with
// bench/warden-lib.sh's rules, StatementTracker with result masking and view lineage, journal
// and disk recording) in one process, through in-memory sockets. Each iteration sends what
// pgbench -S sends (simple: a Query with a new aid; prepared: Bind, Describe portal, Execute,
// Sync of one named statement, as libpq's PQsendQueryPrepared does) and answers it with
// PostgreSQL's bytes (one int4 row), each side in one chunk. Prints the process CPU (user +
// system, GC threads included) per transaction after a warm-up, for the plain and the masked
// connection, interleaved over ROUNDS passes (medians and ranges). This is what
// bench/statement-path.ts leaves out: framing, the relay's message loop, the outgoing
// ChunkWriter copy, socket writes' callers. bench/pg-relay-sockets.ts adds real sockets.
//
// Usage: [MODES='simple prepared'] [CONNS='bench bench_mask'] [SESSIONS=8] [WARMUP=20000] [ROUNDS=3] npx tsx bench/pg-relay-cpu.ts [N=50000]
// Under callgrind (instruction counts): bundle with esbuild (packages: 'external') and run two N, subtract.
import { answerOf, commandOf, createBenchGateway, interleaved, prepared, prepareSync, type Mode } from './pg-relay-gateway.ts';
import { FakeSocket, roundTripper } from './fake-socket.ts';

const n = Number(process.argv[2] ?? 50_000);
const warmup = Number(process.env.WARMUP ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 3);

const gateway = await createBenchGateway('pg-relay-cpu');

/** One session over in-memory sockets, ready for `mode`'s transactions; `roundTrip` sends one and answers it. */
async function openSession(connection: string, mode: Mode, seq: number) {
  const client = new FakeSocket();
  const upstream = new FakeSocket();
  let last: Buffer = Buffer.alloc(0);
  client.onWrite = (b) => (last = b);
  const session = await gateway.open(connection, `ses_${connection}_${mode}_${seq}`, client, upstream);
  const roundTrip = roundTripper(client, upstream);
  // PQprepare: Parse + Sync; then the Describe shape comes with each execution's RowDescription.
  if (mode === 'prepared') await roundTrip(prepareSync, prepared);
  return { roundTrip, close: session.close, last: () => last };
}

async function run(connection: string, mode: Mode, seq: number): Promise<number> {
  // SESSIONS > 1: transactions go to the sessions in turn, as pgbench's clients do through the real gateway.
  const sessions = await Promise.all(Array.from({ length: Math.max(1, Number(process.env.SESSIONS ?? 8)) }, (_, k) => openSession(connection, mode, seq * 100 + k)));
  const commands = Array.from({ length: 10_007 }, (_, i) => commandOf(mode, ((i * 7919) % 1_000_000) + 1));
  const answer = answerOf(mode);
  const k = sessions.length;
  const one = (i: number) => sessions[i % k]!.roundTrip(commands[i % commands.length]!, answer);
  for (let i = 0; i < warmup; i++) await one(i);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await one(i);
  const used = process.cpuUsage(before);
  // The bench measures something only if the masked connection's rows come out masked (and the plain one's do not).
  for (const s of sessions) {
    if (s.last().includes('****') !== (connection === 'bench_mask')) throw new Error(`${connection} ${mode}: unexpected answer ${JSON.stringify(s.last().toString('latin1'))}`);
    await s.close();
  }
  return (used.user + used.system) / n;
}

try {
  await interleaved(rounds, run);
} finally {
  gateway.dispose();
}
