import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../clock.ts';
import { initSql, type PgParser } from '../sql/parser.ts';
import { pgViewDialect, SessionLineage, type CatalogRelation, type MaskingCatalog } from './views.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

/**
 * A catalog answering from a list the test edits, as the target's would
 * (the PostgreSQL one is exercised end to end in test/policy/masking*.e2e).
 */
function catalogOf(relations: CatalogRelation[]): MaskingCatalog & { asked: number; failing: boolean } {
  const c = {
    asked: 0,
    failing: false,
    relations: async (names: readonly { name: string }[]) => {
      c.asked++;
      if (c.failing) throw new Error('catalog unavailable');
      return relations.filter((r) => names.some((n) => n.name === r.name));
    },
    close: () => undefined,
  };
  return c;
}

const table = (name: string, schema = 'public'): CatalogRelation => ({ schema, name, definition: undefined });
const view = (name: string, definition: string, schema = 'public'): CatalogRelation => ({ schema, name, definition });
const sourcesOf = (s: SessionLineage, sql: string) => s.lineage(sql)[0]?.map((e) => e.sources.map((c) => `${c.schema ?? ''}.${c.table}.${c.column}`).sort());

describe('SessionLineage', () => {
  it('inlines nested views learned round by round, and asks again only when needed', async () => {
    const catalog = catalogOf([table('t'), view('v1', 'SELECT t.card AS c FROM public.t'), view('v2', 'SELECT upper(v1.c) AS u FROM public.v1')]);
    const s = new SessionLineage(pgViewDialect(pg), catalog, manualClock(), 60_000);
    await s.learn('select reverse(u) from v2 where 1 = 2');
    expect(sourcesOf(s, 'select reverse(u) from v2 where 1 = 2')).toEqual([['public.t.card', 'public.v1.c', 'public.v2.u']]);
    expect(catalog.asked).toBe(3); // v2, then v1, then t
    expect(s.learn('select reverse(u) from v2 where 3 = 4')).toBeUndefined(); // same shape, other literals: nothing to ask
    expect(catalog.asked).toBe(3);
  });

  it('fail closed: unknown when the catalog fails or does not have the relation', async () => {
    const catalog = catalogOf([table('t')]);
    const s = new SessionLineage(pgViewDialect(pg), catalog, manualClock(), 60_000);
    catalog.failing = true;
    await s.learn('select card from t');
    expect(s.lineage('select card from t')).toEqual([undefined]);
    catalog.failing = false;
    await s.learn('select card from t, nowhere');
    expect(s.lineage('select card from t, nowhere')).toEqual([undefined]);
    await s.learn('select card from t');
    expect(sourcesOf(s, 'select card from t')).toEqual([['.t.card']]);
  });

  it('a schema change makes everything unknown until the transaction ends, then it is learned again', async () => {
    const relations = [table('t'), view('v', 'SELECT t.name AS x FROM public.t')];
    const catalog = catalogOf(relations);
    const s = new SessionLineage(pgViewDialect(pg), catalog, manualClock(), 60_000);
    await s.learn('select x from v');
    expect(sourcesOf(s, 'select x from v')).toEqual([['public.t.name', 'public.v.x']]);
    relations[1] = view('v', 'SELECT t.card AS x FROM public.t');
    s.schemaChanged();
    expect(s.lineage('select x from v')).toEqual([undefined]);
    s.idle();
    expect(s.lineage('select x from v')).toEqual([undefined]); // learned before the change: stale
    await s.learn('select x from v');
    expect(sourcesOf(s, 'select x from v')).toEqual([['public.t.card', 'public.v.x']]);
  });

  it('a learned view is asked again after the TTL', async () => {
    const relations = [table('t'), view('v', 'SELECT t.name AS x FROM public.t')];
    const clock = manualClock();
    const s = new SessionLineage(pgViewDialect(pg), catalogOf(relations), clock, 60_000);
    await s.learn('select x from v');
    relations[1] = view('v', 'SELECT t.card AS x FROM public.t');
    clock.advance(30_000);
    expect(s.learn('select x from v')).toBeUndefined();
    clock.advance(31_000);
    await s.learn('select x from v');
    expect(sourcesOf(s, 'select x from v')).toEqual([['public.t.card', 'public.v.x']]);
  });

  it('the very text asked last (every Execute of a prepared statement) is known at once, and still follows other texts, schema changes and the TTL', async () => {
    const relations = [table('t'), view('v', 'SELECT t.name AS x FROM public.t')];
    const catalog = catalogOf(relations);
    const clock = manualClock();
    const s = new SessionLineage(pgViewDialect(pg), catalog, clock, 60_000);
    const text = 'select x from v where 1 = 2';
    await s.learn(text);
    expect(catalog.asked).toBe(2); // v, then t
    // Learned, then its result's lineage, again and again: no promise, the catalog not asked again.
    for (let i = 0; i < 3; i++) {
      expect(s.learn(text)).toBeUndefined();
      expect(sourcesOf(s, text)).toEqual([['public.t.name', 'public.v.x']]);
    }
    // Another text in between (known already: the catalog answering anew would make every cached text stale).
    await s.learn('select card from public.t');
    expect(sourcesOf(s, 'select card from public.t')).toEqual([['public.t.card']]);
    expect(s.learn(text)).toBeUndefined();
    expect(catalog.asked).toBe(2);
    relations[1] = view('v', 'SELECT t.card AS x FROM public.t');
    s.schemaChanged();
    expect(s.lineage(text)).toEqual([undefined]);
    s.idle();
    expect(s.lineage(text)).toEqual([undefined]); // learned before the change: stale
    await s.learn(text);
    expect(sourcesOf(s, text)).toEqual([['public.t.card', 'public.v.x']]);
    expect(s.learn(text)).toBeUndefined();
    clock.advance(60_000);
    expect(s.learn(text)).toBeInstanceOf(Promise); // the TTL is over: asked again
  });

  it('an unqualified name in several schemas counts every candidate', async () => {
    const catalog = catalogOf([table('t'), view('v', 'SELECT t.card AS x FROM public.t', 'a'), table('v', 'b')]);
    const s = new SessionLineage(pgViewDialect(pg), catalog, manualClock(), 60_000);
    await s.learn('select x from v');
    // the view's column, and the whole row of the table b.v (a column of it may be called x)
    expect(sourcesOf(s, 'select x from v')).toEqual([['a.v.x', 'b.v.*', 'public.t.card']]);
    expect(s.tableColumns(undefined, 'v')).toBeUndefined();
  });
});
