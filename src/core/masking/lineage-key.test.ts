import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../clock.ts';
import { createPostgresClassifier } from '../sql/classifier.ts';
import { initSql, type PgParser } from '../sql/parser.ts';
import { createStatementKeys } from '../sql/statement-key.ts';
import { lineageOf } from './lineage.ts';
import { createMaskingServices } from './service.ts';
import { pgLineageKey, pgViewDialect, SessionLineage, type MaskingCatalog } from './views.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const lineageOrError = (sql: string) => {
  try {
    return lineageOf(pg, sql);
  } catch {
    return 'error';
  }
};
const key = (sql: string) => pgLineageKey(pg, sql);

/** A query with `null` where a literal goes. */
type Part = string | null;
// `$1`/`$2` among the literals: a parameter and a literal share a key (`select $1` ~ `select 1`).
const literal = fc.constantFrom("'a'", "'b''c'", "''", '1', '22', '3.5', '-4', "'4111111111111111'", "E'\\x'", '$$a$$', "$t$b'$t$", "B'101'", "X'1f'", "U&'d'", 'true', 'null', '$1', '$2');
const literals = fc.array(literal, { minLength: 40, maxLength: 40 });
const fill = (parts: readonly Part[], lits: string[]) => {
  let i = 0;
  return parts.map((p) => p ?? lits[i++ % lits.length]).join(' ');
};
const column = fc.constantFrom('card', 'card1', 't.card', '"card1"', 'email', 'tablé1.card', 'tablé2').map((c): Part[] => [c]);
const { expr } = fc.letrec<{ expr: Part[] }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small' },
    column,
    fc.constant<Part[]>([null]),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]): Part[] => ['(', ...a, '||', ...b, ')']),
    fc.tuple(fc.constantFrom('reverse', 'upper', 'coalesce', 'substr'), tie('expr')).map(([f, a]): Part[] => [f, '(', ...a, ',', null, ')']),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]): Part[] => ['case when', ...a, '=', null, 'then', ...b, 'else', null, 'end']),
    tie('expr').map((a): Part[] => ['(select', ...a, 'from u where u.id =', null, 'limit', null, ')']),
    fc.tuple(tie('expr'), fc.constantFrom('::text', '::varchar(5)', '::int')).map(([a, c]): Part[] => ['(', ...a, ')', c]),
    tie('expr').map((a): Part[] => ["/* ' */", ...a]),
  ),
}));
const item = fc.tuple(expr, fc.option(fc.constantFrom('x1', '"c2"', 'card'))).map(([x, a]): Part[] => (a === null ? x : [...x, 'as', a]));
const from = fc.constantFrom<Part[]>(['t'], ['t1'], ['t join u on t.id = u.id'], ['tablé1'], ['"t1"'], ['(select card, email from t where id =', null, ') as t'], ['(values (', null, ',', null, ')) as t(card, email)']);
const tail = fc.constantFrom<Part[]>([], ['limit', null], ['limit all'], ['order by 1'], ["-- it's\n"]);
const query = fc.tuple(fc.array(item, { minLength: 1, maxLength: 2 }), from, fc.option(expr), tail, fc.boolean()).map(([items, f, where, end, union]): Part[] => {
  const select: Part[] = ['select', ...items.flatMap((i, n) => (n === 0 ? i : [',', ...i])), 'from', ...f, ...(where === null ? [] : ['where', ...where, '=', null])];
  return union ? [...select, 'union all select', ...items.flatMap((_, n) => (n === 0 ? [null] : [',', null])), ...end] : [...select, ...end];
});
/** Pairs of the same small query, or with one identifier changed for a look-alike (which a key must keep apart). */
const near: Record<string, string> = { t1: 't2', 'tablé1': 'tablé2', '"T1"': 't1', card: '"Card"', card1: 'card2', '"c1"': 'c1' };
const lookAlikes = fc
  .tuple(fc.constantFrom<Part[]>([null], ['card'], ['card1'], ['t1.card'], ['reverse(card,', null, ')'], ['"c1"']), fc.constantFrom('t1', '"T1"', 'tablé1'), fc.constantFrom<Part[]>([], ['where id =', null], ['limit', null], ['limit all']), fc.boolean())
  .map(([c, t, w, swap]) => {
    const p: Part[] = ['select', ...c, 'from', t, ...w];
    return [p, swap ? p.map((x) => (x === null ? x : (near[x] ?? x))) : p] as const;
  });
const tables: MaskingCatalog = { relations: async (names) => names.map((n) => ({ schema: 'public', name: n.name, definition: undefined })), close: () => undefined };
const sources = (lineage: { sources: { table: string; column: string }[] }[][] | undefined) => lineage?.[0]?.map((e) => e.sources.map((s) => `${s.table}.${s.column}`));

describe('pgLineageKey (the statement key classification computes)', () => {
  it('texts sharing a key have the same lineage (random queries, literals of every form swapped; look-alike identifiers)', () => {
    fc.assert(
      fc.property(fc.oneof(query.map((q) => [q, q] as const), lookAlikes), literals, literals, ([ta, tb], la, lb) => {
        const a = fill(ta, la);
        const b = fill(tb, lb);
        if (key(a) === key(b)) expect(lineageOrError(b)).toEqual(lineageOrError(a));
      }),
      { numRuns: 1000 },
    );
  });

  it('identifiers with digits, comments and quoting keep lineage apart', () => {
    const masking = createMaskingServices(pg, Buffer.alloc(32, 1), manualClock());
    expect(sources(masking.lineage('select ssn from tablé1'))).toEqual([['tablé1.ssn']]);
    expect(sources(masking.lineage('select ssn from tablé2'))).toEqual([['tablé2.ssn']]);
    expect(sources(masking.lineage('select ssn from "t1"'))).toEqual([['t1.ssn']]);
    expect(sources(masking.lineage('select ssn from "t2"'))).toEqual([['t2.ssn']]);
    expect(sources(masking.lineage("select 'a' as card from t"))).toEqual([[]]);
    expect(sources(masking.lineage("select 'a', card from t"))).toEqual([[], ['t.card']]);
    // What a comment or a dollar quote hides is not a column; what follows it is.
    expect(sources(masking.lineage("select 1 -- ', name\n, card from t"))).toEqual([[], ['t.card']]);
    expect(sources(masking.lineage("select $$ ', name $$, card from t"))).toEqual([[], ['t.card']]);
    expect(sources(masking.lineage("select E'\\', name', card from t"))).toEqual([[], ['t.card']]);
    expect(key("select E'\\', name', card from t")).toBe(key("select 'x', card from t"));
  });

  it('classification and masking scan a statement once between them', async () => {
    let scans = 0;
    const counted: PgParser = {
      ...pg,
      statementKey: createStatementKeys((text) => {
        scans++;
        return pg.normalize(text);
      }),
    };
    const classifier = createPostgresClassifier(counted);
    const masking = createMaskingServices(counted, Buffer.alloc(32, 1), manualClock());
    const session = masking.session(tables);
    for (const aid of [1, 2, 3]) {
      const text = `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;
      classifier.classify(text);
      await session.learn(text);
      expect(sources(session.lineage(text) as never)).toEqual([['pgbench_accounts.abalance']]);
      expect(sources(masking.lineage(text))).toEqual([['pgbench_accounts.abalance']]);
    }
    expect(scans).toBe(3);
    // A prepared statement's text comes back at each Execute, after other sessions' statements: the session remembers its key.
    const prepared = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
    classifier.classify(prepared);
    await session.learn(prepared);
    for (let i = 0; i < 40; i++) classifier.classify(`SELECT ${i} FROM t${i}`);
    expect(scans).toBe(44);
    await session.learn(prepared);
    expect(sources(session.lineage(prepared) as never)).toEqual([['pgbench_accounts.abalance']]);
    expect(scans).toBe(44);
  });

  it('an unparseable text never hands its empty lineage to another text with the same key', async () => {
    // Keys as a scanner error would make them: both texts get the same one.
    const oneKey: PgParser = { ...pg, statementKey: () => 'unterminated quoted string at or near "\'a"' };
    const masking = createMaskingServices(oneKey, Buffer.alloc(32, 1), manualClock());
    expect(masking.lineage("select card from t where x = 'a")).toEqual([]);
    expect(sources(masking.lineage('select card from t'))).toEqual([['t.card']]);
    const session = new SessionLineage(pgViewDialect(oneKey), tables, manualClock(), 60_000);
    await session.learn("select card from t where x = 'a");
    expect(session.lineage("select card from t where x = 'a")).toEqual([]);
    await session.learn('select card from t');
    expect(sources(session.lineage('select card from t') as never)).toEqual([['t.card']]);
  });

  it('COPY facts stay keyed by the exact text: options are literals that change how lines split', () => {
    const masking = createMaskingServices(pg, Buffer.alloc(32, 1), manualClock());
    const a = "copy (select card from t where id = 1) to stdout with (format csv, delimiter ';')";
    const b = "copy (select card from t where id = 2) to stdout with (format csv, delimiter '|')";
    expect(masking.facts(a)[0]?.copy).toMatchObject({ format: 'csv', delimiter: ';' });
    expect(masking.facts(b)[0]?.copy).toMatchObject({ format: 'csv', delimiter: '|' });
    expect(masking.facts(a)[0]?.copy).toMatchObject({ delimiter: ';' });
    expect(masking.facts("copy t to stdout (format text, delimiter ',')")[0]?.copy).toMatchObject({ format: 'text', delimiter: ',' });
    expect(masking.facts("copy t to stdout (format csv, delimiter ',')")[0]?.copy).toMatchObject({ format: 'csv', delimiter: ',' });
  });
});
