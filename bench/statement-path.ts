/**
 * The gateway's JS work per pgbench -S transaction, in-process and without
 * sockets, so it can be compared before/after on a loaded machine: for each
 * statement, policy (classification + rules, as the gatekeeper asks it), the
 * PostgreSQL statement tracker fed the messages the target answers with, and
 * the emitted event counted into prom-client metrics and appended to a disk
 * recording — the bench's rules, simple (a new literal each time) and
 * prepared (one Parse, then Bind/Execute per transaction), on the plain and
 * the masked connection. Prints CPU µs per transaction.
 * Run: `npx tsx bench/statement-path.ts` (ROUNDS, default 100000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/core/clock.ts';
import type { MaskingCatalog } from '../src/core/masking/views.ts';
import { createMaskingServices } from '../src/core/masking/service.ts';
import { createMetrics } from '../src/core/metrics.ts';
import { createPolicyEngine } from '../src/core/policy/engine.ts';
import { loadRulesYaml } from '../src/core/policy/load.ts';
import type { PolicySubject } from '../src/core/policy/types.ts';
import { createDiskRecordings } from '../src/core/recording/disk.ts';
import { createPostgresClassifier, initSql } from '../src/core/sql/index.ts';
import { message } from '../src/protocols/postgres/codec/message.ts';
import { ChunkWriter } from '../src/protocols/postgres/codec/chunk-writer.ts';
import { StatementTracker } from '../src/protocols/postgres/events.ts';
import { benchRulesYaml } from './pg-relay-gateway.ts';

const rounds = Number(process.env.ROUNDS ?? 100_000);
const parser = await initSql();
const masking = createMaskingServices(parser, Buffer.alloc(32, 1), systemClock);
const engine = createPolicyEngine({
  classifier: createPostgresClassifier(parser),
  rules: loadRulesYaml(benchRulesYaml),
});
const catalog: MaskingCatalog = { relations: async (names) => names.map((n) => ({ schema: 'public', name: n.name, definition: undefined })), close: () => undefined };
const dir = mkdtempSync(join(tmpdir(), 'warden-statement-path-'));
const recordings = createDiskRecordings(dir, { flushIntervalMs: 1000 });
const metrics = createMetrics();

const row = (v: string) => {
  const b = Buffer.from(v);
  const body = Buffer.alloc(2 + 4 + b.length);
  body.writeInt16BE(1, 0);
  body.writeInt32BE(b.length, 2);
  b.copy(body, 6);
  return message('D', body);
};
const columns = [{ name: 'abalance', tableOid: 16400, attributeNumber: 2, typeOid: 23, format: 0 }];

async function run(connection: 'bench' | 'bench_mask', mode: 'simple' | 'prepared', session: number): Promise<number> {
  const recording = recordings.open(`ses_${connection}_${mode}_${session}`);
  // What SessionJournal.statement does with each event.
  const tally = metrics.tally('postgres');
  const emit = (event: Parameters<ConstructorParameters<typeof StatementTracker>[0]>[0]) => {
    tally.statements++;
    tally.observe(event.durationMs / 1000);
    recording.append(event);
  };
  const tracker = new StatementTracker(emit, { maxRows: 100, maxBytes: 65536 }, systemClock, masking, masking.session(catalog));
  const subject = (): PolicySubject => ({ user: 'bench', groups: [], connection, connectionTags: [], at: systemClock.now() });
  const prepared = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
  if (mode === 'prepared') {
    const v = tracker.applicable(prepared, await engine.decide(subject(), { kind: 'sql', dialect: 'postgres', text: prepared }));
    tracker.parse('P0_1', prepared, v);
    tracker.describe('S', 'P0_1');
    tracker.sync();
    tracker.rowDescription(columns);
    tracker.readyForQuery(0x49);
  }
  // The relay's outgoing copy of a chunk, as in `#onTargetData`: a masked row is written into it.
  const out = new ChunkWriter();
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    const aid = (i * 7919) % 1_000_000;
    if (mode === 'simple') {
      const text = `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;
      const v = tracker.applicable(text, await engine.decide(subject(), { kind: 'sql', dialect: 'postgres', text }));
      tracker.query(text, v);
      const learning = tracker.learn(text, v);
      if (learning) await learning;
      tracker.rowDescription(columns);
    } else {
      tracker.bind('', 'P0_1', [String(aid)], []);
      tracker.execute('');
      const learning = tracker.learnPortal('');
      if (learning) await learning;
      tracker.sync();
    }
    const d = row(String(i % 5000));
    out.begin(d);
    tracker.dataRow(d, 0, d.length, out);
    out.finish();
    tracker.commandComplete('SELECT 1');
    tracker.readyForQuery(0x49);
  }
  const used = process.cpuUsage(start);
  await recording.close();
  return (used.user + used.system) / rounds;
}

try {
  await run('bench_mask', 'simple', 0); // warm-up: JIT, caches
  await run('bench_mask', 'prepared', 0);
  for (let pass = 1; pass <= 2; pass++) {
    for (const connection of ['bench', 'bench_mask'] as const) {
      for (const mode of ['simple', 'prepared'] as const) console.log(`${connection.padEnd(10)} ${mode.padEnd(8)} ${(await run(connection, mode, pass)).toFixed(2)} µs/tx`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
