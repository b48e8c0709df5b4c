import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.ts';
import type { LineageEntry } from '../../masking/lineage.ts';
import { SessionLineage, type CatalogRelation, type MaskingCatalog, type RelationName } from '../../masking/views.ts';
import { createMysqlParser } from './parser.ts';
import { mysqlViewDialect, viewColumns } from './views.ts';

const parser = createMysqlParser();

/** A catalog answering as information_schema would: names match case-insensitively, in every schema. */
function catalogOf(relations: CatalogRelation[]): MaskingCatalog & { asked: RelationName[][]; failing: boolean } {
  const c = {
    asked: [] as RelationName[][],
    failing: false,
    relations: async (names: readonly RelationName[]) => {
      c.asked.push([...names]);
      if (c.failing) throw new Error('catalog unavailable');
      return relations.filter((r) => names.some((n) => n.name.toLowerCase() === r.name.toLowerCase()));
    },
    close: () => undefined,
  };
  return c;
}

const table = (name: string, schema = 'shop'): CatalogRelation => ({ schema, name, definition: undefined });
const view = (name: string, definition: string, columns: string[], schema = 'shop'): CatalogRelation => ({ schema, name, definition, columns });
const src = (e: LineageEntry) => e.sources.map((s) => `${s.schema ?? ''}.${s.table}.${s.column}`).sort();
const session = (catalog: MaskingCatalog, clock = manualClock()) => new SessionLineage(mysqlViewDialect(parser), catalog, clock, 60_000);
async function lineage(s: SessionLineage, sql: string) {
  await s.learn(sql);
  return s.lineage(sql)[0]?.map((e) => [e.star === true ? '*' : e.name, src(e)]);
}

// As MariaDB 10.11 stores them in information_schema.VIEWS.VIEW_DEFINITION.
const v1 = view('customer_view', 'select `c`.`id` AS `id`,`c`.`email` AS `mail`,concat(`c`.`name`,`c`.`email`) AS `ne` from `shop`.`customers` `c`', ['id', 'mail', 'ne']);
const v2 = view('nested_view', 'select `customer_view`.`mail` AS `m`,ucase(`customer_view`.`ne`) AS `u` from `shop`.`customer_view` where `customer_view`.`id` > 0', ['m', 'u']);

describe('MySQL view lineage (SessionLineage with the MySQL dialect)', () => {
  it('a view column leads to its base column, with the view itself as a source too', async () => {
    const s = session(catalogOf([table('customers'), v1]));
    expect(await lineage(s, 'select mail, id from customer_view')).toEqual([
      ['mail', ['shop.customer_view.mail', 'shop.customers.email']],
      ['id', ['shop.customer_view.id', 'shop.customers.id']],
    ]);
  });

  it('nested views, aliases and expressions, learned round by round', async () => {
    const catalog = catalogOf([table('customers'), v1, v2]);
    const s = session(catalog);
    expect(await lineage(s, 'select lower(x.u) as low from shop.nested_view x')).toEqual([['low', ['shop.customer_view.ne', 'shop.customers.email', 'shop.customers.name', 'shop.nested_view.u']]]);
    expect(catalog.asked.map((a) => a.map((n) => n.name))).toEqual([['nested_view'], ['customer_view'], ['customers']]);
    // Learned: the same text (and one differing in integers only) asks nothing more.
    expect(s.learn('select lower(x.u) as low from shop.nested_view x')).toBeUndefined();
  });

  it('a star over a view expands to its columns; a view with a column list is named by the catalog', async () => {
    // MySQL 8 keeps `create view v (a, b) as …` column names apart from the definition.
    const renamed = view('renamed', 'select `shop`.`customers`.`email` AS `email`,`shop`.`customers`.`id` AS `id` from `shop`.`customers`', ['secret', 'n']);
    const s = session(catalogOf([table('customers'), renamed]));
    expect(await lineage(s, 'select * from renamed')).toEqual([
      ['secret', ['shop.customers.email', 'shop.renamed.secret']],
      ['n', ['shop.customers.id', 'shop.renamed.n']],
    ]);
  });

  it('names match case-insensitively (lower_case_table_names), and a name the catalog lacks is a table (TEMPORARY)', async () => {
    const s = session(catalogOf([table('customers'), v1]));
    expect(await lineage(s, 'select MAIL from Customer_View')).toEqual([['MAIL', ['shop.customer_view.mail', 'shop.customers.email']]]);
    expect(await lineage(s, 'select email from scratch')).toEqual([['email', ['.scratch.email']]]);
  });

  it('fail closed: an unreadable definition makes each of its columns any column (other relations unaffected)', async () => {
    const hidden = view('hidden', '', ['a', 'b']); // no SHOW VIEW privilege: the catalog shows an empty definition
    const odd = view('odd', 'select json_table garbage', ['a']);
    const s = session(catalogOf([table('customers'), hidden, odd]));
    expect(await lineage(s, 'select h.a, c.name from hidden h join customers c on c.id = h.b')).toEqual([
      ['a', ['.\u0000any.?', 'shop.hidden.a']],
      ['name', ['.customers.name']], // a table stays as written (an unknown schema matches any rule's)
    ]);
    expect((await lineage(s, 'select upper(a) from odd'))?.[0]?.[1]).toContain('.\u0000any.?');
  });

  it('fail closed: a lookup that fails leaves the statement unknown, and a DDL makes the session ask again', async () => {
    const catalog = catalogOf([table('customers'), v1]);
    catalog.failing = true;
    const s = session(catalog);
    await s.learn('select mail from customer_view');
    expect(s.lineage('select mail from customer_view')).toEqual([undefined]);
    catalog.failing = false;
    expect(await lineage(s, 'select mail from customer_view')).toEqual([['mail', ['shop.customer_view.mail', 'shop.customers.email']]]);
    const asked = catalog.asked.length;
    s.schemaChanged();
    s.idle();
    expect(s.learn('select mail from customer_view')).toBeDefined();
    expect(catalog.asked.length).toBe(asked + 1);
  });

  it('viewColumns: a definition that does not line up with the catalog columns is unreadable', () => {
    const cols = viewColumns(parser, view('v', 'select `t`.`a` AS `a` from `s`.`t`', ['a', 'b']), () => undefined);
    expect(cols.map((c) => c.sources[0]?.table)).toEqual(['\u0000any', '\u0000any']);
    expect(viewColumns(parser, view('v', '', []), () => undefined)).toEqual([{ name: '*', star: true, sources: [expect.objectContaining({ column: '?' })] }]);
  });
});
