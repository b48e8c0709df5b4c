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
// Usage: [MODES='text prepared'] [WARMUP=20000] [SESSIONS=1] npx tsx bench/mysql-relay-cpu.ts [ROOT=. (a checkout)] [N=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeSocket, roundTripper } from './fake-socket.ts';

const root = resolve(process.argv[2] ?? '.');
const n = Number(process.argv[3] ?? 100_000);
const warmup = Number(process.env.WARMUP ?? 20_000);
const from = (p: string) => import(join(root, 'src', p));
const { Relay } = await from('protocols/mysql/relay.ts');
const { StatementTracker } = await from('protocols/mysql/events.ts');
const { createGatekeeper } = await from('protocols/mysql/gatekeeper.ts');
const { packet } = await from('protocols/mysql/codec/packet.ts');
const { lenenc, lenencBytes } = await from('protocols/mysql/codec/lenenc.ts');
const { createMysqlClassifier, createMysqlLineage } = await from('core/sql/mysql/index.ts');
const { createPolicyEngine } = await from('core/policy/engine.ts');
const { ruleSchema } = await from('core/policy/rules.ts');
const { createDiskRecordings } = await from('core/recording/disk.ts');
const { createMetrics } = await from('core/metrics.ts');
const { openJournal } = await from('core/session/journal.ts');
const { systemClock } = await from('core/clock.ts');

const dir = mkdtempSync(join(tmpdir(), 'warden-relay-cpu-'));
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
  recordings: createDiskRecordings(dir, { flushIntervalMs: 1000 }),
  live: { add: () => () => {} },
} as never;
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
async function openSession(mode: 'text' | 'prepared') {
  const journal = await openJournal(core, target, 'mysql', '127.0.0.1');
  const tracker = new StatementTracker((e: unknown) => journal.statement(e), { maxRows: 100, maxBytes: 64 * 1024 }, systemClock, 'key', createMysqlLineage());
  const gatekeeper = createGatekeeper(core, identity, target.connection, new AbortController().signal);
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

async function run(mode: 'text' | 'prepared'): Promise<number> {
  // SESSIONS > 1: statements go to the sessions in turn, as sysbench's threads do through the real gateway.
  const sessions = await Promise.all(Array.from({ length: Math.max(1, Number(process.env.SESSIONS ?? 1)) }, () => openSession(mode)));
  const commands =
    mode === 'prepared'
      ? Array.from({ length: 10_000 }, (_, i) => {
          const b = Buffer.from([0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0]);
          b.writeInt32LE(i + 1, 14);
          return packet(0, b);
        })
      : Array.from({ length: 10_000 }, (_, i) => packet(0, Buffer.from(`\x03SELECT c FROM sbtest1 WHERE id=${i + 1}`, 'latin1')));
  const reply = mode === 'prepared' ? binaryAnswer : textAnswer;
  const k = sessions.length;
  for (let i = 0; i < warmup; i++) await sessions[i % k]!.roundTrip(commands[i % commands.length]!, reply);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await sessions[i % k]!.roundTrip(commands[i % commands.length]!, reply);
  const used = process.cpuUsage(before);
  for (const s of sessions) await s.close();
  return (used.user + used.system) / n;
}

try {
  for (const mode of (process.env.MODES ?? 'text prepared').split(' ').filter(Boolean) as ('text' | 'prepared')[]) console.log(`${mode}: ${(await run(mode)).toFixed(2)} µs CPU per statement (${n} statements, ${root})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
