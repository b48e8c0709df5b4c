/**
 * Masking's CPU cost per pgbench -S transaction, in-process and without the
 * network, so it can be measured on a loaded machine: the PostgreSQL
 * statement tracker fed the messages of `SELECT abalance FROM pgbench_accounts
 * WHERE aid = N` (a new literal each time, as pgbench's simple mode sends),
 * under an allow verdict and under the bench's mask verdict. Run:
 * `npx tsx bench/masking-tracker.ts` (ROUNDS, default 200000). The verdicts carry the statement as
 * classification describes it, and each text's key (classification's, which masking reuses) is made
 * before the clock starts, as in the gateway: what is measured is the tracker and masking.
 */
import { systemClock } from '../src/core/clock.ts';
import { createMaskingServices } from '../src/core/masking/service.ts';
import type { MaskingCatalog } from '../src/core/masking/views.ts';
import type { Verdict } from '../src/core/policy/types.ts';
import { createPostgresClassifier } from '../src/core/sql/classifier.ts';
import { initSql } from '../src/core/sql/parser.ts';
import { message } from '../src/protocols/postgres/codec/message.ts';
import { ChunkWriter } from '../src/protocols/postgres/codec/chunk-writer.ts';
import type { ColumnInfo } from '../src/protocols/postgres/codec/results.ts';
import { StatementTracker } from '../src/protocols/postgres/events.ts';

const rounds = Number(process.env.ROUNDS ?? 200_000);
const wasm = await initSql();
const texts = Array.from({ length: 10_007 }, (_, i) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 1_000_000};`);
// Classification computes each statement's key before its verdict, and masking's lineage reuses it:
// the keys are made before the clock starts, so that what is measured is masking, not normalize.
const keys = new Map(texts.map((t) => [t, wasm.statementKey(t)]));
const parser = { ...wasm, statementKey: (t: string) => keys.get(t) ?? wasm.statementKey(t) };
const masking = createMaskingServices(parser, Buffer.alloc(32, 1), systemClock);
// The bench's catalog answers from memory: what is measured is masking, not the catalog round trip (once per session).
const catalog: MaskingCatalog = { relations: async (names) => names.map((n) => ({ schema: 'public', name: n.name, definition: undefined })), close: () => undefined };
// What classification says of the statement (the same for every literal), carried by the gateway's verdicts.
const statements = createPostgresClassifier(wasm).classify(texts[0]!);
const allow: Verdict = { effect: 'allow', rules: [], statements };
const mask: Verdict = {
  effect: 'mask',
  rules: [],
  statements,
  masks: {
    columns: [
      { column: '*.pgbench_accounts.abalance', strategy: 'redact', rule: 'bench-mask' },
      { name: '*filler*', strategy: 'hash', rule: 'bench-mask' },
    ],
    detectors: ['card', 'email', 'phone', 'ssn', 'iban', 'jwt', 'aws_key', 'private_key'].map((name) => ({ name: name as 'card', strategy: 'redact' as const, rule: 'bench-mask' })),
    exempted: [],
  },
};
const row = (v: string) => {
  const b = Buffer.from(v);
  const body = Buffer.alloc(2 + 4 + b.length);
  body.writeInt16BE(1, 0);
  body.writeInt32BE(b.length, 2);
  b.copy(body, 6);
  return message('D', body);
};
// Frozen and the same array each time, as the relay hands out a repeated RowDescription's columns.
const columns = Object.freeze([Object.freeze({ name: 'abalance', tableOid: 16400, attributeNumber: 2, typeOid: 23, format: 0 })]) as ColumnInfo[];

const rows = Array.from({ length: 5000 }, (_, i) => row(String(i)));

async function run(verdict: Verdict): Promise<number> {
  const tracker = new StatementTracker(() => undefined, { maxRows: 100, maxBytes: 65536 }, systemClock, masking, masking.session(catalog));
  // The relay's outgoing copy of a chunk, as in `#onTargetData`: a masked row is written into it.
  const out = new ChunkWriter();
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    const text = texts[i % texts.length]!;
    const v = tracker.applicable(text, verdict);
    tracker.query(text, v);
    const learning = tracker.learn(text, v);
    if (learning) await learning;
    tracker.rowDescription(columns);
    const d = rows[i % rows.length]!;
    out.begin(d);
    tracker.dataRow(d, 0, d.length, out);
    out.finish();
    tracker.commandComplete('SELECT 1');
    tracker.readyForQuery(0x49);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds;
}

await run(mask); // warm-up: JIT, caches
for (const [name, v] of [['allow', allow], ['mask', mask], ['allow', allow], ['mask', mask]] as const) console.log(`${name.padEnd(6)} ${(await run(v)).toFixed(2)} µs/tx`);
