import { MaskerPool, ShapeCache, type LineageEntry, type RowMasker } from '../../core/masking/index.ts';
import { mayHaveFacts, type StatementFacts } from '../../core/masking/statements.ts';
import type { SessionLineage } from '../../core/masking/views.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { MaskingServices } from '../../core/services.ts';
import { RecentTexts } from '../../core/sql/recent-texts.ts';
import type { LineFormat } from './codec/copy.ts';
import type { RelayVerdict } from './gatekeeper.ts';

/** Which result a question is about: result `index` of statement text `text`, run under `verdict`. */
export interface ResultOf {
  readonly text: string;
  readonly verdict: Verdict | undefined;
  readonly index: number;
}

const noFacts: readonly StatementFacts[] = Object.freeze([]);

const textCopy: LineFormat = { format: 'text', delimiter: '\t', null: '\\N' };

/**
 * One session's masking of PostgreSQL results: which RowMasker each result
 * gets, from the verdict and the lineage of the statement behind it — through
 * views (learned before the statement runs), SQL `PREPARE`/`EXECUTE` and
 * `DECLARE`/`FETCH`, whose names it remembers as they succeed. The statement
 * tracker asks it at each result; it never sees rows itself.
 *
 * fail closed: a result whose sources cannot be told (a relation the catalog
 * did not confirm, a cursor not declared through this session, an unknown
 * result shape) gets a masker that hides every value.
 */
export class ResultMasking {
  readonly #masking: MaskingServices;
  /** Lineage that sees through views; undefined: tables only (no catalog). */
  readonly #views: SessionLineage | undefined;
  /** Column decisions of earlier results, reused when the same statement shape comes back. */
  readonly #decided = new ShapeCache();
  /** Maskers of earlier results, reused by the next result of the same statement once the earlier one is over. */
  readonly #maskers: MaskerPool;
  /** SQL-level `PREPARE name AS …`: the text and statement index, so the rows of `EXECUTE name` get that query's lineage. */
  readonly #sqlPrepared = new Map<string, { text: string; index: number }>();
  /** SQL cursors (`DECLARE name CURSOR FOR …`) by name, so the rows of `FETCH … name` get that query's lineage. */
  readonly #cursors = new Map<string, { text: string; index: number; hold: boolean }>();
  /** Lineage without views of the session's last texts, so their statement keys are asked once (see `learn`). */
  readonly #tablesOnly = new RecentTexts<LineageEntry[][]>(8);

  constructor(masking: MaskingServices, views?: SessionLineage) {
    this.#masking = masking;
    this.#views = views;
    this.#maskers = new MaskerPool(masking.hashKey, this.#decided);
  }

  /**
   * The verdict as the relay can apply it: a binary COPY cannot be masked
   * (its values are typed binary the gateway does not decode), so under a
   * mask verdict it is refused. fail closed.
   */
  applicable(text: string, verdict: RelayVerdict): RelayVerdict {
    if (verdict.effect !== 'mask' || !hasBinaryCopy(this.#facts(text, verdict))) return verdict;
    const message = 'binary COPY results cannot be masked; use COPY … TO STDOUT in text or CSV format';
    return { effect: 'block', rules: verdict.rules, message, sqlstate: '0A000', ...(verdict.statements ? { statements: verdict.statements } : {}) };
  }

  /**
   * Learns what the relations `text` names stand for (views), before it runs:
   * a promise while the catalog is asked, undefined when nothing is to learn.
   * For `EXECUTE name` / `FETCH … name`, the prepared or declared query's text.
   */
  learn(text: string, verdict: Verdict | undefined): Promise<void> | undefined {
    const views = this.#views;
    if (views === undefined || verdict?.effect !== 'mask' || verdict.masks.columns.length === 0) {
      // Looked up now, right after classification computed the statement key (its result comes later).
      if (verdict?.effect === 'mask') this.#lineageWithoutViews(text);
      return undefined;
    }
    const own = views.learn(text);
    const behind = this.#textsBehind(text, verdict);
    if (behind === undefined) return own;
    const pending = behind.map((t) => (t === '' ? undefined : views.learn(t))).filter((p): p is Promise<void> => p !== undefined);
    if (own) pending.push(own);
    return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
  }

  /**
   * The texts behind `EXECUTE name` and `FETCH … name` in `text` (their lineage is that text's;
   * '' for a name not known); undefined when there is none. Indexed loops and no array until one
   * is found: this runs at every statement and Execute to mask, and for-of's iterators and an
   * empty array per call were ~350 bytes of garbage per pgbench -S transaction.
   */
  #textsBehind(text: string, verdict: Verdict): string[] | undefined {
    let behind: string[] | undefined;
    const statements = verdict.statements;
    if (statements !== undefined) {
      for (let i = 0; i < statements.length; i++) {
        const executes = statements[i]!.executes;
        if (executes !== undefined) (behind ??= []).push(this.#sqlPrepared.get(executes)?.text ?? '');
      }
    }
    const facts = this.#facts(text, verdict);
    for (let i = 0; i < facts.length; i++) {
      const cursor = facts[i]!.cursor;
      if (cursor?.op === 'fetch') (behind ??= []).push(this.#cursors.get(cursor.name)?.text ?? '');
    }
    return behind;
  }

  /** How a `COPY … TO STDOUT` result's lines are split (text format when the statement does not say). */
  copyFormat(r: ResultOf): LineFormat {
    const f = this.#facts(r.text, r.verdict)[r.index]?.copy;
    return f === undefined || f.format === 'binary' ? textCopy : f;
  }

  /** The masker for a result with these columns (`format`: 1 = binary, else text); undefined: rows pass as they are. */
  forResult(r: ResultOf, columns: readonly { name: string; format?: number }[]): RowMasker | undefined {
    const verdict = r.verdict;
    if (verdict?.effect !== 'mask') return undefined;
    const lineage = this.#lineageOf(r);
    // fail closed: a result whose relations could not be resolved (a view not learned) is hidden whole.
    if (lineage === 'unknown') return hideEverything(columns.map((c) => c.format ?? 0), 'warden:unknown-lineage');
    const masker = this.#maskers.get(verdict.masks, lineage);
    masker.shape(columns);
    return masker.active ? masker : undefined;
  }

  /** The masker for a COPY's lines, once the first row tells how many columns there are (and a CSV header their names). */
  forCopy(r: ResultOf, count: number, header?: readonly string[]): RowMasker | undefined {
    const lineage = this.#lineageOf(r);
    const named = lineage !== 'unknown' && lineage !== undefined && lineage.length === count && !lineage.some((l) => l.star === true);
    // `COPY table` names no column on the wire: the catalog does, when it knows the table.
    const whole = lineage !== 'unknown' && lineage?.length === 1 && lineage[0]!.star === true && lineage[0]!.sources.length === 1 ? lineage[0]!.sources[0] : undefined;
    const fromCatalog = whole?.column === '*' ? this.#views?.tableColumns(whole.schema, whole.table) : undefined;
    const catalogNames = fromCatalog?.length === count ? fromCatalog : undefined;
    // Columns still unnamed stay `*`: a column rule on the table then covers each as a whole row (fail closed).
    const names = Array.from({ length: count }, (_, i) => header?.[i] ?? catalogNames?.[i] ?? (named ? lineage[i]!.name : '*'));
    return this.forResult(r, names.map((name) => ({ name })));
  }

  /** An Execute whose result shape is unknown (no Describe seen): under a mask verdict every value is hidden (fail closed). */
  forUnknownShape(verdict: Verdict | undefined, formats: readonly number[]): RowMasker | undefined {
    return verdict?.effect === 'mask' ? hideEverything(formats, 'warden:unknown-result-shape') : undefined;
  }

  /** Result `r` completed with `tag`: remembers a PREPARE or cursor that succeeded, and notes DDL (the catalog may lag). */
  completed(r: ResultOf, tag: string): void {
    if (tag === 'PREPARE') {
      // Only a PREPARE that succeeded: a failed one (name taken) leaves the earlier statement in place on the server too.
      const name = r.verdict?.statements?.[r.index]?.preparedName;
      if (name !== undefined) this.#sqlPrepared.set(name, { text: r.text, index: r.index });
    } else if (tag === 'DECLARE CURSOR' || tag === 'CLOSE CURSOR' || tag === 'CLOSE CURSOR ALL') this.#noteCursor(r);
    else if (isDdlTag(tag) || r.verdict?.statements?.[r.index]?.class === 'ddl') this.#views?.schemaChanged();
  }

  /** The session is outside a transaction (ReadyForQuery `I`): cursors without HOLD are gone, and DDL it made is visible to the catalog. */
  idle(): void {
    // Guarded: an iterator per ReadyForQuery, though a session rarely has a cursor.
    if (this.#cursors.size > 0) for (const [name, c] of this.#cursors) if (!c.hold) this.#cursors.delete(name);
    this.#views?.idle();
  }

  /** A `DECLARE` that succeeded is remembered by name; `CLOSE` forgets (`CLOSE ALL`: every one). */
  #noteCursor(r: ResultOf): void {
    const op = this.#facts(r.text, r.verdict)[r.index]?.cursor;
    if (op?.op === 'declare') this.#cursors.set(op.name, { text: r.text, index: r.index, hold: op.hold });
    else if (op?.op === 'close') {
      if (op.name === undefined) this.#cursors.clear();
      else this.#cursors.delete(op.name);
    }
  }

  /**
   * Lineage of the result; for `EXECUTE name`, that of the query `PREPARE
   * name` prepared; for `FETCH … name`, that of the cursor's query.
   * `unknown`: the result's sources cannot be told (fail closed: hide it).
   */
  #lineageOf(r: ResultOf): LineageEntry[] | undefined | 'unknown' {
    let { text, index } = r;
    const verdict = r.verdict;
    const executes = verdict?.statements?.[index]?.executes;
    const prepared = executes === undefined ? undefined : this.#sqlPrepared.get(executes);
    const cursor = this.#facts(text, verdict)[index]?.cursor;
    if (prepared !== undefined) ({ text, index } = prepared);
    else if (cursor?.op === 'fetch') {
      const declared = this.#cursors.get(cursor.name);
      // fail closed: a cursor not declared through this session's SQL (a function's refcursor) has unknown rows.
      if (declared === undefined) return verdict?.effect === 'mask' && verdict.masks.columns.length > 0 ? 'unknown' : undefined;
      ({ text, index } = declared);
    }
    if (this.#views === undefined || verdict?.effect !== 'mask' || verdict.masks.columns.length === 0) return this.#lineageWithoutViews(text)[index];
    const all = this.#views.lineage(text);
    if (index >= all.length) return undefined; // unparseable: no lineage, as without views
    return all[index] ?? 'unknown';
  }

  /**
   * COPY and cursor facts of `text`'s statements. The verdict's classification (the same parse
   * of the same text) already names each statement's kind: when none is a COPY or a cursor
   * statement there are no facts to look up, which is every pgbench statement.
   */
  #facts(text: string, verdict: Verdict | undefined): readonly StatementFacts[] {
    const statements = verdict?.statements;
    if (statements === undefined || statements.length === 0) return this.#masking.facts(text);
    // Indexed: a for-of iterator here was garbage at every result to mask.
    for (let i = 0; i < statements.length; i++) if (mayHaveFacts(statements[i]!.kind)) return this.#masking.facts(text);
    return noFacts;
  }

  #lineageWithoutViews(text: string): LineageEntry[][] {
    let lineage = this.#tablesOnly.get(text);
    if (lineage === undefined) {
      lineage = this.#masking.lineage(text);
      this.#tablesOnly.set(text, lineage);
    }
    return lineage;
  }
}

/** Whether a statement is a binary COPY. A loop, not `some` with an arrow: this runs for every Query and Parse to mask. */
function hasBinaryCopy(facts: readonly StatementFacts[]): boolean {
  for (let i = 0; i < facts.length; i++) if (facts[i]!.copy?.format === 'binary') return true;
  return false;
}

/** Tags of statements that may change relations (views the catalog described may be stale until the transaction ends). */
function isDdlTag(tag: string): boolean {
  return tag.startsWith('CREATE ') || tag.startsWith('ALTER ') || tag.startsWith('DROP ') || tag.startsWith('IMPORT ');
}

/** A masker for rows whose sources or shape are unknown: every value hidden, binary ones as NULL (valid for any type). */
function hideEverything(formats: readonly number[], rule: string): RowMasker {
  let rows = 0;
  let hidden = 0;
  const binary = (i: number) => (formats.length === 1 ? formats[0] : formats[i]) === 1;
  const counts = () => ({ byColumn: { '*': { [rule]: hidden } }, byDetector: {}, rows });
  return {
    shape: () => undefined,
    row: (values) => {
      rows++;
      return values.map((v, i) => {
        if (v === null) return null;
        hidden++;
        return binary(i) ? null : '****';
      });
    },
    active: true,
    // Rare (a fail-closed result): every row through `row`.
    fixedRow: undefined,
    fixedRowShown: () => undefined,
    counts,
    addCountsTo: (into) => {
      const col = (into.byColumn['*'] ??= {});
      col[rule] = (col[rule] ?? 0) + hidden;
    },
    takeCounts: () => ({ byColumn: { '*': { [rule]: hidden } }, byDetector: {} }),
  };
}
