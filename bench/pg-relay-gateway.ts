// The gateway side shared by bench/pg-relay-cpu.ts (in-memory sockets) and
// bench/pg-relay-sockets.ts (loopback TCP): the real PostgreSQL Relay with its
// gatekeeper, policy engine (bench/warden-lib.sh's rules), StatementTracker with
// result masking and view lineage (a catalog that knows every relation as a
// table) and the session journal (metrics and a disk recording flushed every
// second); pgbench -S's messages and PostgreSQL's answers to them; the report.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/core/clock.ts';
import { createMaskingServices } from '../src/core/masking/service.ts';
import type { MaskingCatalog } from '../src/core/masking/views.ts';
import { createMetrics } from '../src/core/metrics.ts';
import { createPolicyEngine } from '../src/core/policy/engine.ts';
import { loadRulesYaml } from '../src/core/policy/load.ts';
import { createDiskRecordings } from '../src/core/recording/disk.ts';
import { openJournal } from '../src/core/session/journal.ts';
import { createPostgresClassifier, initSql } from '../src/core/sql/index.ts';
import { cstring, int32, message } from '../src/protocols/postgres/codec/message.ts';
import { StatementTracker } from '../src/protocols/postgres/events.ts';
import { createGatekeeper } from '../src/protocols/postgres/gatekeeper.ts';
import { Relay } from '../src/protocols/postgres/relay.ts';

export type Mode = 'simple' | 'prepared';

/** bench/warden-lib.sh's rules: anything on `bench` and `bench_mask`, masking on `bench_mask`. */
export const benchRulesYaml = `
- id: bench-allow
  match: { connections: [bench, bench_mask] }
  effect: allow
- id: bench-mask
  match: { connections: [bench_mask] }
  effect: mask
  mask:
    columns:
      - { column: '*.pgbench_accounts.abalance', strategy: redact }
      - { name: '*filler*', strategy: hash }
    detectors: all
`;

// PostgreSQL's answer: RowDescription of abalance (int4, pgbench_accounts' 3rd column), one DataRow, its tag, ReadyForQuery.
const rowDescription = message('T', Buffer.concat([Buffer.from([0, 1]), cstring('abalance'), int32(16_400), Buffer.from([0, 3]), int32(23), Buffer.from([0, 4]), int32(-1), Buffer.from([0, 0])]));
// pgbench -i stores abalance 0 in every row, and -S only reads: the masked row is 3 bytes longer ('****').
const dataRow = message('D', Buffer.concat([Buffer.from([0, 1]), int32(1), Buffer.from('0')]));
const tail = Buffer.concat([message('C', cstring('SELECT 1')), message('Z', Buffer.from('I'))]);
/** What PostgreSQL answers one transaction of `mode` with (prepared: BindComplete first). */
export const answerOf = (mode: Mode): Buffer => (mode === 'simple' ? Buffer.concat([rowDescription, dataRow, tail]) : Buffer.concat([message('2'), rowDescription, dataRow, tail]));
/** PQprepare of the statement pgbench -M prepared runs, and PostgreSQL's answer to it. */
export const prepare = message('P', Buffer.concat([cstring('P_0'), cstring('SELECT abalance FROM pgbench_accounts WHERE aid = $1;'), Buffer.from([0, 0])]));
export const prepareSync = Buffer.concat([prepare, message('S')]);
export const prepared = Buffer.concat([message('1'), message('Z', Buffer.from('I'))]);

/** One pgbench -S transaction for `aid`: a Query (simple), or Bind, Describe portal, Execute, Sync as PQsendQueryPrepared sends them. */
export function commandOf(mode: Mode, aid: number): Buffer {
  if (mode === 'simple') return message('Q', cstring(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`));
  const param = Buffer.from(String(aid));
  const bind = message('B', Buffer.concat([cstring(''), cstring('P_0'), Buffer.from([0, 0, 0, 1]), int32(param.length), param, Buffer.from([0, 0])]));
  return Buffer.concat([bind, message('D', Buffer.concat([Buffer.from('P'), cstring('')])), message('E', Buffer.concat([cstring(''), int32(0)])), message('S')]);
}

/** The sockets a Relay uses (net.Socket or a fake of it). */
type RelaySocket = ConstructorParameters<typeof Relay>[0];

export interface BenchGateway {
  /** A relay session between `client` and `upstream` on `connection`; `close` ends it and its journal. */
  open(connection: string, sessionId: string, client: unknown, upstream: unknown): Promise<{ relay: Relay; close(): Promise<void> }>;
  /** Removes the recordings. */
  dispose(): void;
}

export async function createBenchGateway(name: string): Promise<BenchGateway> {
  const parser = await initSql();
  const dir = mkdtempSync(join(tmpdir(), `warden-${name}-`));
  const masking = createMaskingServices(parser, Buffer.alloc(32, 1), systemClock);
  const engine = createPolicyEngine({ classifier: createPostgresClassifier(parser), rules: loadRulesYaml(benchRulesYaml) });
  const core = {
    policy: engine,
    clock: systemClock,
    config: { reviews: {} },
    log: { child: () => ({ info: () => {} }), error: () => {} },
    metrics: createMetrics(),
    masking,
    sessions: { start: async () => {}, end: async () => {} },
    recordings: createDiskRecordings(dir, { flushIntervalMs: 1000 }),
    live: { add: () => () => {} },
  } as never;
  const catalog: MaskingCatalog = { relations: async (names) => names.map((r) => ({ schema: 'public', name: r.name, definition: undefined })), close: () => undefined };
  const identity = { user: { id: 'usr_bench', name: 'bench', groups: [] }, tokenId: 'tok' };
  return {
    async open(connection, sessionId, client, upstream) {
      const target = { sessionId, identity, connection: { name: connection, tags: [] } };
      const journal = await openJournal(core, target as never, 'postgres', '127.0.0.1');
      // Packed records as the session writes them (src/protocols/postgres/session.ts).
      const tracker = new StatementTracker((e) => journal.statement(e), { maxRows: 100, maxBytes: 64 * 1024 }, systemClock, masking, masking.session(catalog), (record, durationMs) => journal.packed(record, durationMs));
      const gate = createGatekeeper(core, identity as never, target.connection, () => {}, new AbortController().signal);
      const relay = new Relay(client as RelaySocket, upstream as RelaySocket, { decide: gate.decide, decideNow: gate.decideNow, review: gate.review, tracker, onBytes: (a, b) => journal.bytes(a, b), onEnd: () => {} });
      relay.start(Buffer.alloc(0), Buffer.alloc(0));
      return {
        relay,
        async close() {
          relay.end('bench');
          tracker.flush('bench');
          await journal.end('bench');
        },
      };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Modes and connections from MODES and CONNS. */
export const benchModes = (): Mode[] => (process.env.MODES ?? 'simple prepared').split(' ').filter(Boolean) as Mode[];
export const benchConnections = (): string[] => (process.env.CONNS ?? 'bench bench_mask').split(' ').filter(Boolean);

/** Runs `measure` for every mode and connection, `rounds` times, plain first in even rounds and masked first in odd ones; prints medians, ranges and masking's cost. */
export async function interleaved(rounds: number, measure: (connection: string, mode: Mode, round: number) => Promise<number>): Promise<void> {
  const modes = benchModes();
  const conns = benchConnections();
  const got = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      for (const c of r % 2 ? [...conns].reverse() : conns) got.set(`${c} ${mode}`, [...(got.get(`${c} ${mode}`) ?? []), await measure(c, mode, r)]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [k, xs] of got) console.log(`${k.padEnd(20)} median ${median(xs).toFixed(2)} µs/tx (${xs.map((x) => x.toFixed(2)).join(' ')})`);
  for (const mode of modes) {
    const a = got.get(`bench ${mode}`);
    const b = got.get(`bench_mask ${mode}`);
    if (a && b) console.log(`masking adds (${mode}): median ${median(b.map((x, i) => x - a[i]!)).toFixed(2)} µs/tx`);
  }
}
