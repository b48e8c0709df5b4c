// The MySQL relay's own CPU per statement, without sockets or a loaded machine in the way.
//
// Drives src/protocols/mysql's Relay with the gateway's real per-statement
// parts — gatekeeper and policy engine (one allow rule, the MySQL
// classifier and its cache), StatementTracker, the session journal (metrics
// and a disk recording, flushed every second) — in one process, through
// in-memory sockets: each iteration sends sysbench's point select (text:
// COM_QUERY with a new id; prepared: COM_STMT_EXECUTE of one prepared
// statement) and answers it with the bytes MariaDB sends (one CHAR(120)
// row). Prints the process CPU (user + system, GC threads included) per
// statement after a warm-up. A and B of a change compare in the same
// minutes even on a busy machine, where bench/mysql.sh's TPS cannot.
//
// A/B: give two (or more) checkouts: each root's modules are loaded side by side in
// this one process and their rounds interleave (ROUNDS, default 10, of N/ROUNDS
// statements each, which root goes first alternating), so load and GC drift hit
// both alike; prints each root's median and rounds, the median of the per-round
// differences B - A and in how many rounds B was cheaper. The roots share Node's
// built-ins (Buffer, events): a change in how a built-in is called reaches the
// other root's type feedback too, so confirm such a change in separate processes.
// Under load a round still scatters (3.4–8 µs in one process at load 10): look at
// the per-round differences and the rounds won, not at one median.
//
// Usage: [MODES='text prepared'] [WARMUP=20000] [SESSIONS=1] [ROUNDS] npx tsx bench/mysql-relay-cpu.ts [ROOT=. (a checkout)…] [N=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeSocket, roundTripper } from './fake-socket.ts';
import { interleavedCpu, printAb } from './interleave.ts';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const roots = args.filter((a) => !/^\d+$/.test(a)).map((a) => resolve(a));
if (roots.length === 0) roots.push(resolve('.'));
const warmup = Number(process.env.WARMUP ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? (roots.length > 1 ? 10 : 1));
const dir = mkdtempSync(join(tmpdir(), 'warden-relay-cpu-'));

/** The gateway's per-statement parts from one checkout (a root's modules are its own instances). */
async function gatewayOf(root: string, index: number) {
  const from = (p: string) => import(join(root, 'src', p));
  const { Relay } = await from('protocols/mysql/relay.ts');
  const { StatementTracker } = await from('protocols/mysql/events.ts');
  const { createGatekeeper } = await from('protocols/mysql/gatekeeper.ts');
  const { createMysqlClassifier, createMysqlLineage } = await from('core/sql/mysql/index.ts');
  const { createPolicyEngine } = await from('core/policy/engine.ts');
  const { ruleSchema } = await from('core/policy/rules.ts');
  const { createDiskRecordings } = await from('core/recording/disk.ts');
  const { createMetrics } = await from('core/metrics.ts');
  const { openJournal } = await from('core/session/journal.ts');
  const { systemClock } = await from('core/clock.ts');
  const engine = createPolicyEngine({
    rules: [ruleSchema.parse({ id: 'bench-allow', match: { connections: ['bench'] }, effect: 'allow' })],
    classifier: {} as never,
    mysqlClassifier: createMysqlClassifier(),
  });
  const core = {
    policy: engine,
    clock: systemClock,
    log: { child: () => ({ info: () => {} }) },
    metrics: createMetrics(),
    sessions: { start: async () => {}, end: async () => {} },
    recordings: createDiskRecordings(join(dir, String(index)), { flushIntervalMs: 1000 }),
    live: { add: () => () => {} },
  } as never;
  return { root, Relay, StatementTracker, createGatekeeper, createMysqlLineage, openJournal, systemClock, core };
}
type Gateway = Awaited<ReturnType<typeof gatewayOf>>;
const gateways: Gateway[] = [];
for (const [i, root] of roots.entries()) gateways.push(await gatewayOf(root, i));
// The wire helpers come from the first root (they only build the bytes sent and answered).
const { packet } = await import(join(roots[0]!, 'src', 'protocols/mysql/codec/packet.ts'));
const { lenenc, lenencBytes } = await import(join(roots[0]!, 'src', 'protocols/mysql/codec/lenenc.ts'));

const identity = { user: { id: 'usr_bench', name: 'bench', groups: [] }, tokenId: 'tok' };
const target = { sessionId: 'ses_bench', identity, connection: { name: 'bench', tags: [] } };

const eof = packetOf(Buffer.from([0xfe, 0, 0, 2, 0]));
function packetOf(payload: Buffer, seq = 0) {
  return { payload, seq };
}
const columnDef = Buffer.concat([...['def', 'sbtest', 'sbtest1', 'sbtest1', 'c', 'c'].map((s) => lenencBytes(s)), Buffer.from([0x0c, 45, 0, 0xe0, 1, 0, 0, 0xfe, 0x01, 0x10, 0, 0, 0])]);
const value = '83868641912-28773972837-60736120486-75162659906-27563526494-20381887404-41576422241-93426793964-56405065102-33518432330';
const answer = (rows: Buffer[]) => Buffer.concat([lenenc(1), columnDef, eof.payload, ...rows, eof.payload].map((p, i) => packet(i + 1, p)));
const textAnswer = answer([lenencBytes(value)]);
const binaryAnswer = answer([Buffer.concat([Buffer.from([0, 0]), lenencBytes(value)])]);

/** One session (journal, tracker, gatekeeper, relay over in-memory sockets) ready for `mode`'s statements; `roundTrip` sends one and answers it. */
async function openSession(g: Gateway, mode: 'text' | 'prepared') {
  const { core, Relay } = g;
  const journal = await g.openJournal(core, target, 'mysql', '127.0.0.1');
  // Packed records as the session writes them (a checkout from before packed records ignores the last argument).
  const packed = (record: unknown, durationMs: number | undefined) => journal.packed(record, durationMs);
  const tracker = new g.StatementTracker((e: unknown) => journal.statement(e), { maxRows: 100, maxBytes: 64 * 1024 }, g.systemClock, 'key', g.createMysqlLineage(), undefined, packed);
  const gatekeeper = g.createGatekeeper(core, identity, target.connection, new AbortController().signal);
  const client = new FakeSocket();
  const upstream = new FakeSocket();
  const relay = new Relay(client, upstream, { decide: gatekeeper.decide, decideNow: gatekeeper.decideNow, review: gatekeeper.review, tracker, onBytes: (a: number, b: number) => journal.bytes(a, b), onEnd: () => {} });
  relay.start(Buffer.alloc(0), Buffer.alloc(0));
  const roundTrip = roundTripper(client, upstream);
  if (mode === 'prepared') {
    const prepareOk = Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    const paramDef = Buffer.concat([...['def', '', '', '', '?', ''].map((s) => lenencBytes(s)), Buffer.from([0x0c, 63, 0, 0, 0, 0, 0, 0xfd, 0x80, 0, 0, 0, 0])]);
    await roundTrip(packet(0, Buffer.from('\x16SELECT c FROM sbtest1 WHERE id=?', 'latin1')), Buffer.concat([prepareOk, paramDef, eof.payload, columnDef, eof.payload].map((p, i) => packet(i + 1, p))));
  }
  const close = async () => {
    relay.end('bench');
    await journal.end('bench');
  };
  return { roundTrip, close };
}

/** CPU µs per statement of `mode`, per gateway: `rounds` rounds, the gateways' turns alternating in order. */
async function run(mode: 'text' | 'prepared'): Promise<number[][]> {
  // SESSIONS > 1: statements go to the sessions in turn, as sysbench's threads do through the real gateway.
  const k = Math.max(1, Number(process.env.SESSIONS ?? 1));
  const sessions = await Promise.all(gateways.map((g) => Promise.all(Array.from({ length: k }, () => openSession(g, mode)))));
  const commands =
    mode === 'prepared'
      ? Array.from({ length: 10_000 }, (_, i) => {
          const b = Buffer.from([0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0]);
          b.writeInt32LE(i + 1, 14);
          return packet(0, b);
        })
      : Array.from({ length: 10_000 }, (_, i) => packet(0, Buffer.from(`\x03SELECT c FROM sbtest1 WHERE id=${i + 1}`, 'latin1')));
  const reply = mode === 'prepared' ? binaryAnswer : textAnswer;
  let sent = 0;
  const send = async (side: number, count: number) => {
    for (let i = 0; i < count; i++, sent++) await sessions[side]![sent % k]!.roundTrip(commands[sent % commands.length]!, reply);
  };
  const results = await interleavedCpu(gateways.length, send, { warmup, rounds, perRound: Math.ceil(n / rounds) });
  for (const s of sessions.flat()) await s.close();
  return results;
}

try {
  for (const mode of (process.env.MODES ?? 'text prepared').split(' ').filter(Boolean) as ('text' | 'prepared')[]) {
    const results = await run(mode);
    if (gateways.length === 1 && rounds === 1) {
      console.log(`${mode}: ${results[0]![0]!.toFixed(2)} µs CPU per statement (${n} statements, ${roots[0]})`);
      continue;
    }
    printAb(mode, 'µs CPU per statement', results, roots);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
