import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, gatewayUrl, realPg, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { findLeaks, linesAsRows, type Secrets } from './leaks.ts';
import { dataRows, errorCodes, RawSession } from './raw-session.ts';

/**
 * Masking through the real gateway: a mask rule (email by column-name glob,
 * card by schema.table.column, every content detector) and a table of real
 * looking PII (Luhn-valid cards, SSNs, mod-97-valid IBANs). Each bypass a
 * user could try must return no raw value, in any form `findLeaks` knows.
 */
const T = `w_policy_mask_${process.pid}`;
const V = `${T}_v`;
/** A schema of its own for the views tests create (dropped after). */
const S = `w_mask_views_${process.pid}`;
const secrets: Secrets = {
  emails: ['alice.wonder@example.com', 'bob.builder@example.org', 'cleo@example.net'],
  cards: ['4111111111111111', '5500005555555559', '4012888888881881'],
  ssns: ['536-22-8419', '412-58-3307', '287-65-4321'],
  ibans: ['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606'],
};
const names = ['Alice', 'Bob', 'Cleo'];
const rules = [
  {
    id: 'mask-pii',
    effect: 'mask',
    match: {},
    mask: {
      columns: [
        { name: '*email*', strategy: 'redact' },
        { column: `public.${T}.card`, strategy: 'partial' },
      ],
      detectors: 'all',
      exemptGroups: ['pii-readers'],
    },
  },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read', 'transaction', 'utility'] } },
  // the views tests change views through the gateway
  { id: 'allow-view-ddl', effect: 'allow', match: { classes: ['ddl'], tables: [`${S}.*`, T] } },
];

let t: TestGateway;
let direct: pg.Client;
let maya: pg.Client;
let mayaToken: string;

beforeAll(async () => {
  direct = new pg.Client(realPg);
  await direct.connect();
  await direct.query(`drop view if exists ${V}; drop table if exists ${T}`);
  await direct.query(`create table ${T} (id int primary key, name text, email text, card text, ssn text, iban text)`);
  for (let i = 0; i < 3; i++) {
    await direct.query(`insert into ${T} values ($1, $2, $3, $4, $5, $6)`, [i + 1, names[i], secrets.emails[i], secrets.cards[i], secrets.ssns[i], secrets.ibans[i]]);
  }
  await direct.query(`create view ${V} as select * from ${T}`);
  t = await startTestGateway({ rules });
  mayaToken = await t.user('maya');
  await t.connection('pg');
  maya = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'maya', password: mayaToken, database: 'pg' });
  await maya.connect();
});
afterAll(async () => {
  await maya?.end().catch(() => {});
  await t?.stop();
  await direct?.query(`drop view if exists ${V}; drop table if exists ${T}`);
  await direct?.end();
});

/** Values exactly as the wire carried them (no JSON or number parsing in the driver), one array per row. */
const asSent = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;
async function query(sql: string, values?: unknown[], extra: Partial<pg.QueryConfig> = {}): Promise<unknown[][]> {
  const r = (await maya.query({ text: sql, values, types: asSent, rowMode: 'array', ...extra })) as unknown as pg.QueryArrayResult | pg.QueryArrayResult[];
  return (Array.isArray(r) ? r : [r]).flatMap((x) => x.rows);
}
/** Extended protocol with every result column in binary format (`queryMode` is missing from @types/pg). */
const binaryQuery = (sql: string) =>
  maya.query({ text: sql, types: asSent, rowMode: 'array', binary: true, queryMode: 'extended' } as unknown as pg.QueryArrayConfig);

describe('masking through the gateway (pg driver, text results)', () => {
  it('the fixture holds raw values (direct, without the gateway)', async () => {
    const raw = (await direct.query(`select * from ${T}`)).rows.map((r) => Object.values(r));
    const found = findLeaks(raw, secrets);
    for (const v of Object.values(secrets).flat()) expect(found.some((f) => f.endsWith(` ${v}`))).toBe(true);
    for (const d of ['card', 'email', 'ssn', 'iban']) expect(found.some((f) => f.startsWith(`${d} detector`))).toBe(true);
  });

  it('a plain select masks PII and shows the other columns', async () => {
    const { rows } = await maya.query(`select id, name, email, card, ssn, iban from ${T} order by id`);
    expect(rows[0]).toEqual({ id: 1, name: 'Alice', email: '****', card: '****1111', ssn: '****', iban: '****' });
    expect(findLeaks(rows.map((r) => Object.values(r)), secrets)).toEqual([]);
  });

  it('select * leaks nothing', async () => {
    expect(findLeaks(await query(`select * from ${T} order by id`), secrets)).toEqual([]);
  });

  it.each([
    `select upper(email) from ${T}`,
    `select email || '' as e from ${T}`,
    `select reverse(card) from ${T}`,
    `select substr(card, 1, 8) from ${T}`,
    `select card::text as a, card::numeric as b, card::bigint as c from ${T}`,
    `select translate(card, '0123456789', 'abcdefghij') from ${T}`,
    `select row_to_json(t) from ${T} t`,
    `select to_jsonb(t) from ${T} t`,
    `select t::text from ${T} t`,
    `select json_agg(t) from ${T} t`,
    `select json_agg(email) as a, json_agg(card) as b, json_agg(ssn) as c from ${T}`,
    `select string_agg(card, ',') from ${T}`,
    `select string_agg(ssn || '/' || iban, ',') from ${T}`,
    `select encode(convert_to(card, 'UTF8'), 'base64') as a, encode(email::bytea, 'hex') as b from ${T}`,
    `select substr(card, 1, 8) as a, substr(card, 9, 8) as b from ${T}`,
    `select left(email, 5) as a, substr(email, 6) as b from ${T}`,
    `select x from (select card as x from ${T}) s`,
    `with c as (select card from ${T}) select reverse(card) from c`,
    `select card from ${T} union all select email from ${T}`,
    `select * from ${V}`,
    `select email, card, ssn, iban from ${V}`,
    `select upper(email) as u, card::text as c from ${V}`,
    `select row_to_json(v) from ${V} v`,
    `select 1 as one; select reverse(card) from ${T}`,
    `select reverse((t).card) as r from ${T} t`,
    `select reverse(x) from unnest(array(select card from ${T})) as u(x)`,
    `select reverse(card) from (select * from ${T}) s`,
  ])('%s', async (sql) => {
    const rows = await query(sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(findLeaks(rows, secrets)).toEqual([]);
  });

  it('parameterised (extended protocol) queries are masked too', async () => {
    const rows = await query(`select email, reverse(card), substr(card, 1, 8), ssn from ${T} where id = $1 or id > $2`, [1, 1]);
    expect(rows).toHaveLength(3);
    expect(findLeaks(rows, secrets)).toEqual([]);
  });
});

describe('binary-format results', () => {
  it('pg driver with binary: true', async () => {
    const sql = `select email, card, ssn, iban, reverse(card) as r, to_jsonb(t) as j, t as whole, array[card] as a from ${T} t`;
    const r = await binaryQuery(sql);
    expect(r.fields.map((f) => f.format)).toEqual(Array(8).fill('binary')); // really binary on the wire
    expect(r.rows).toHaveLength(3);
    expect(findLeaks(r.rows, secrets)).toEqual([]);
  });

  it('a Bind asking for binary results, on the wire', async () => {
    const raw = await RawSession.open(t.pgPort, 'maya', mayaToken, 'pg');
    try {
      raw.send(
        serialize.parse({ text: `select email, card, ssn, iban, to_jsonb(t) as j, array[card] as a from ${T} t` }),
        serialize.bind({ binary: true }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      );
      const got = await raw.untilReady();
      expect(errorCodes(got)).toEqual([]);
      const desc = got.find((m) => m.name === 'rowDescription') as unknown as { fields: { format: string }[] };
      expect(desc.fields.map((f) => f.format)).toEqual(Array(6).fill('binary'));
      expect(dataRows(got)).toHaveLength(3);
      expect(findLeaks(dataRows(got), secrets)).toEqual([]);
    } finally {
      await raw.close();
    }
  });
});

describe('COPY TO STDOUT through psql', () => {
  const url = () => gatewayUrl(t, 'maya', mayaToken, 'pg');
  it.each([
    `copy ${T} to stdout`,
    `copy (select email, card, ssn, iban from ${T}) to stdout`,
    `copy (select reverse(card), upper(email), id from ${T}) to stdout`,
    `copy (select substr(card, 1, 8), substr(card, 9, 8) from ${T}) to stdout`,
    `copy ${T} to stdout with (format csv)`,
    `copy (select row_to_json(t) from ${T} t) to stdout`,
  ])('%s', async (sql) => {
    const r = await psql([url(), '-At', '-c', sql]);
    expect(r.stderr).toBe('');
    expect(linesAsRows(r.stdout)).toHaveLength(3);
    expect(findLeaks(linesAsRows(r.stdout), secrets)).toEqual([]);
  });

  it('\\copy to stdout and a plain select through psql', async () => {
    const r = await psql([url(), '-At', '-c', `\\copy (select * from ${T}) to stdout`, '-c', `select email, card, ssn, iban from ${T}`]);
    expect(r.stderr).toBe('');
    expect(findLeaks(linesAsRows(r.stdout.replaceAll('|', '\t')), secrets)).toEqual([]);
  });
});

describe('group exemption', () => {
  let pia: Awaited<ReturnType<typeof endedSession>>;
  beforeAll(async () => {
    const token = await t.user('pia', ['pii-readers']);
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'pia', password: token, database: 'pg' });
    await c.connect();
    try {
      const { rows } = await c.query(`select id, email, card, ssn, iban from ${T} order by id`);
      expect(rows[0]).toEqual({ id: 1, email: secrets.emails[0], card: secrets.cards[0], ssn: secrets.ssns[0], iban: secrets.ibans[0] });
    } finally {
      await c.end();
    }
    pia = await endedSession(t, 'pia');
  });

  it('a member of pii-readers sees raw values', () => {
    const st = pia.events.find((e) => e.type === 'statement' && e.text.startsWith('select id, email'));
    expect(st?.type === 'statement' && st.rows?.[0]).toEqual(['1', secrets.emails[0], secrets.cards[0], secrets.ssns[0], secrets.ibans[0]]);
    expect(st?.type === 'statement' && st.masked).toBeFalsy();
  });

  it('the recording says the values were shown raw because of the exemption', () => {
    const st = pia.events.find((e) => e.type === 'statement' && e.text.startsWith('select id, email'));
    expect(JSON.stringify(st)).toContain('pii-readers');
  });
});

describe('the recording', () => {
  it('shows masked counts and never a raw value', async () => {
    const ritaToken = await t.user('rita');
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'rita', password: ritaToken, database: 'pg' });
    await c.connect();
    await c.query(`select id, name, email, card, ssn, iban from ${T}`);
    await c.query(`select reverse(card), upper(email) from ${T} where id = $1`, [2]);
    await c.query(`select string_agg(ssn || ' ' || iban, ';') from ${T}`);
    await c.end();
    const pgSession = await endedSession(t, 'rita');
    const r = await psql([gatewayUrl(t, 'rita', ritaToken, 'pg'), '-At', '-c', `copy (select email, card, ssn, iban from ${T}) to stdout`]);
    expect(r.stderr).toBe('');
    const psqlSession = await endedSession(t, 'rita');
    expect(psqlSession.session.id).not.toBe(pgSession.session.id);

    const copy = psqlSession.events.find((e) => e.type === 'statement' && e.text.startsWith('copy'));
    expect(copy?.type === 'statement' && copy.rowCount).toBe(3);
    expect(copy?.type === 'statement' && copy.masked?.byColumn).toBeDefined();
    for (const ended of [pgSession, psqlSession]) {
      const json = JSON.stringify(ended.events);
      for (const v of Object.values(secrets).flat()) {
        expect(json).not.toContain(v);
        expect(json).not.toContain(v.replace(/-/g, ''));
        expect(json.toLowerCase()).not.toContain(v.toLowerCase());
      }
      const statements = ended.events.filter((e) => e.type === 'statement');
      if (ended === psqlSession) continue;
      const plain = statements.find((e) => e.type === 'statement' && e.text === `select id, name, email, card, ssn, iban from ${T}`);
      expect(plain?.type === 'statement' && plain.verdict?.effect).toBe('mask');
      expect(plain?.type === 'statement' && plain.verdict?.rules).toContain('mask-pii');
      const masked = plain?.type === 'statement' ? plain.masked : undefined;
      expect(masked?.byColumn.id).toBeUndefined();
      expect(masked?.byColumn.name).toBeUndefined();
      expect(masked?.byColumn.email?.['mask-pii']).toBe(3);
      expect(masked?.byColumn.card?.['mask-pii']).toBe(3);
      expect(masked?.byDetector.ssn).toBe(3);
      expect(masked?.byDetector.iban).toBe(3);
      for (const e of statements) if (e.type === 'statement' && e.rows) expect(findLeaks(e.rows, secrets)).toEqual([]);
    }
  });
});

/**
 * Findings: each case below returned raw values (or broke the client) through
 * the gateway when this suite was written. They are `it.fails` so the suite
 * stays green; when one is fixed, vitest reports it and the marker goes.
 * Details (input, expected, actual, suspected code) are in the report.
 */
describe('known leaks (findings)', () => {
  // Relay/tracker (src/protocols/postgres/events.ts): the masker is built only at RowDescription and
  // belongs to one execution. A row-limited Execute ends at PortalSuspended; the next Execute of the
  // same portal gets no RowDescription, so its rows pass unmasked (pg `rows`, pg-cursor, JDBC fetchSize).
  it('rows after the first page of a row-limited Execute (PortalSuspended)', async () => {
    const rows = await query(`select email, card, ssn, iban from ${T} order by id`, undefined, { rows: 1 } as Partial<pg.QueryConfig>);
    expect(rows).toHaveLength(3);
    expect(findLeaks(rows, secrets)).toEqual([]);
  });

  // Same cause: a client that never sends Describe gets DataRows with no RowDescription, so
  // `StatementTracker.dataRow` finds `head.masker === undefined` and forwards everything raw.
  it('Parse/Bind/Execute without Describe', async () => {
    const raw = await RawSession.open(t.pgPort, 'maya', mayaToken, 'pg');
    try {
      raw.send(serialize.parse({ text: `select email, card, ssn, iban from ${T}` }), serialize.bind({}), serialize.execute({}), serialize.sync());
      const got = await raw.untilReady();
      expect(dataRows(got)).toHaveLength(3);
      expect(findLeaks(dataRows(got), secrets)).toEqual([]);
    } finally {
      await raw.close();
    }
  });

  // Fixed in lineage.ts (scopes for correlated/LATERAL subqueries, alias column lists, join aliases):
  // each once lost the masked column on the base table itself.
  it.each([
    `select (select reverse(card)) as x from ${T}`,
    `select l.x from ${T}, lateral (select reverse(card) as x) l`,
    `select reverse(c) as r from ${T} as t(i, n, e, c)`,
    `select reverse(j.card) as r from (${T} a join (select 1 as one) b on true) as j`,
    `select (select x from (select card as x) s) as y from ${T}`,
    `select reverse(x) as r from ${T}, unnest(array[card]) as u(x)`,
    `select reverse(x) as r from (${T} join (select 1) o on true) as j(a, b, c, x)`,
  ])('lineage: %s', async (sql) => {
    expect(findLeaks(await query(sql), secrets)).toEqual([]);
  });

  // Fixed: events.ts takes the lineage of `EXECUTE wq` from the text `PREPARE wq` prepared (the
  // classifier's preparedName/executes), in the simple and the extended protocol.
  it('SQL PREPARE then EXECUTE', async () => {
    await maya.query(`prepare wq as select reverse(card) from ${T}`);
    try {
      expect(findLeaks(await query('execute wq'), secrets)).toEqual([]);
    } finally {
      await maya.query('deallocate wq');
    }
  });

  it('SQL PREPARE then EXECUTE, several statements and the extended protocol', async () => {
    await maya.query(`select 1; prepare wq2 as select id, substr(card, 1, 8) as a, substr(card, 9, 8) as b from ${T}`);
    try {
      expect(findLeaks(await query('select 2 as two; execute wq2'), secrets)).toEqual([]);
      expect(findLeaks(await query('execute wq2', [], { queryMode: 'extended' } as Partial<pg.QueryConfig>), secrets)).toEqual([]);
    } finally {
      await maya.query('deallocate wq2');
    }
  });

  it('a PREPARE that fails (name taken) does not replace the lineage of the statement that stays', async () => {
    await maya.query(`prepare wq3 as select reverse(card) as r from ${T}`);
    try {
      await expect(maya.query('prepare wq3 as select 1 as r')).rejects.toThrow(/already exists/);
      const rows = await query('execute wq3');
      expect(rows).toHaveLength(3);
      expect(findLeaks(rows, secrets)).toEqual([]);
    } finally {
      await maya.query('deallocate wq3');
    }
  });

  // Fixed: events.ts remembers each DECLAREd cursor's query by name (core/masking/statements.ts) and
  // masks FETCH results with its lineage; more in 'SQL cursors' below.
  it('DECLARE CURSOR then FETCH', async () => {
    await maya.query('begin');
    try {
      await maya.query(`declare wc cursor for select reverse(card) from ${T}`);
      expect(findLeaks(await query('fetch all from wc'), secrets)).toEqual([]);
    } finally {
      await maya.query('rollback');
    }
  });

  // Fixed: view definitions are learned from the target's catalog (protocols/postgres/catalog.ts) and
  // inlined into lineage (core/masking/views.ts); more in 'views' below.
  it.each([
    `select reverse(card) as r from ${V}`,
    `select substr(card, 1, 8) as a, substr(card, 9, 8) as b from ${V}`,
    `select regexp_replace(card, '(.)', '\\1.', 'g') as r from ${V}`,
  ])('view: %s', async (sql) => {
    expect(findLeaks(await query(sql), secrets)).toEqual([]);
  });

  // Fixed with views: binary results of non-text types are opaque to the detectors, so only lineage
  // through the view masks them (as NULL).
  it('view, binary results: jsonb, text[] and bigint', async () => {
    const r = await binaryQuery(`select to_jsonb(v) as j, array[card] as a, card::bigint as n from ${V} v`);
    expect(findLeaks(r.rows, secrets)).toEqual([]);
  });

  // Fixed: COPY lines are split with the COPY's own format options (codec/copy.ts); more in 'COPY formats' below.
  it('COPY … WITH (FORMAT csv) with an unmasked first column', async () => {
    const r = await psql([gatewayUrl(t, 'maya', mayaToken, 'pg'), '-At', '-c', `copy (select id, reverse(card) from ${T}) to stdout with (format csv)`]);
    expect(r.stderr).toBe('');
    expect(findLeaks(linesAsRows(r.stdout), secrets)).toEqual([]);
  });

  // Fixed with lineage: SSN and IBAN have no column rule here, only detectors. `substr(ssn, 1, 6)`
  // is `536-22`, nothing until joined with the next column: columns sharing a source column are
  // also read joined (core/masking/split-values.ts). `replace(ssn, '-', '')` (9 bare digits) and
  // `lower(iban)` are computed columns, which get the lenient detectors too (any-case IBAN, bare
  // SSN in a text column); a plain column keeps the strict ones. More in 'detectors: split and
  // transformed values' below.
  it.each([
    `select substr(ssn, 1, 6) as a, substr(ssn, 7) as b from ${T}`,
    `select lower(iban) as i, replace(ssn, '-', '') as s from ${T}`,
  ])('detector-only column: %s', async (sql) => {
    expect(findLeaks(await query(sql), secrets)).toEqual([]);
  });
});

describe('masking keeps results usable (findings)', () => {
  // columns.ts columnGlobMatches: a `*` source (what lineage gives every column of `select *`) matches
  // any `column:` rule, so the card rule masks id and name too; id becomes '****', not an int.
  it('select * masks only the covered columns', async () => {
    const { rows } = await maya.query(`select * from ${T} order by id`);
    expect(rows[0]).toEqual({ id: 1, name: 'Alice', email: '****', card: '****1111', ssn: '****', iban: '****' });
  });

  // strategies.ts applies `partial` to a whole json document (`****32"}`): the pg driver then throws
  // SyntaxError on JSON.parse. A masked json/jsonb value should stay valid JSON (or be NULL).
  it('a masked json value is still valid JSON', async () => {
    const { rows } = await maya.query(`select row_to_json(t) as j from ${T} t order by id`);
    expect(typeof rows[0].j).toBe('object');
  });
});

/** Views, cursors and COPY formats: what the findings above fixed, pinned to exact values. */
const reversedCard = (i: number) => `****${[...secrets.cards[i]!].reverse().join('').slice(-4)}`;

describe('views', () => {
  beforeAll(async () => {
    await direct.query(`drop schema if exists ${S} cascade; create schema ${S}`);
    // nested, renamed and expression columns, schema-qualified
    await direct.query(`create view ${S}.renamed (ident, contact, c) as select id, email, card from ${V}`);
    await direct.query(`create view ${S}.nested as select ident, upper(c) as shout, contact from ${S}.renamed`);
  });
  afterAll(async () => {
    await direct?.query(`drop schema if exists ${S} cascade`);
  });

  it('a view column gets its base column rule; other columns stay readable', async () => {
    const rows = await query(`select id, name, reverse(card) as r, email from ${V} order by id`);
    expect(rows).toEqual(secrets.cards.map((_, i) => [String(i + 1), names[i], reversedCard(i), '****']));
  });

  it('nested views with renamed columns, in another schema', async () => {
    const rows = await query(`select ident, reverse(shout) as r, contact from ${S}.nested order by ident`);
    expect(rows).toEqual(secrets.cards.map((_, i) => [String(i + 1), reversedCard(i), '****']));
  });

  it('a view changed through the gateway is learned again', async () => {
    await maya.query(`create view ${S}.changing as select name as x from ${T}`);
    expect(await query(`select reverse(x) from ${S}.changing order by 1`)).toEqual(names.map((n) => [[...n].reverse().join('')]).sort());
    await maya.query(`create or replace view ${S}.changing as select card as x from ${T}`);
    const rows = await query(`select reverse(x) from ${S}.changing`);
    expect(rows).toHaveLength(3);
    expect(findLeaks(rows, secrets)).toEqual([]);
    expect(rows.flat().every((v) => typeof v === 'string' && v.startsWith('****'))).toBe(true);
  });

  // fail closed: a view created in the open transaction is invisible to the catalog connection, and
  // a view replaced in it would show its old definition there; the whole result is hidden until it ends.
  it('after DDL in an open transaction, results are hidden whole until it ends', async () => {
    await maya.query('begin');
    try {
      await maya.query(`create view ${S}.fresh as select id, card as x from ${T}`);
      const rows = await query(`select id, reverse(x) from ${S}.fresh order by id`);
      expect(rows).toEqual([['****', '****'], ['****', '****'], ['****', '****']]);
    } finally {
      await maya.query('rollback');
    }
    expect(await query(`select id from ${T} order by id`)).toEqual([['1'], ['2'], ['3']]);
  });

  it('the recording counts the values the view-resolved rule masked', async () => {
    const token = await t.user('vera');
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'vera', password: token, database: 'pg' });
    await c.connect();
    await c.query(`select reverse(card) as r from ${V}`);
    await c.end();
    const ended = await endedSession(t, 'vera');
    const st = ended.events.find((e) => e.type === 'statement' && e.text.startsWith('select reverse(card)'));
    expect(st?.type === 'statement' && st.masked?.byColumn.r?.['mask-pii']).toBe(3);
  });
});

describe('SQL cursors', () => {
  it('FETCH in pages gets the cursor query lineage, and a reused name the new one', async () => {
    await maya.query('begin');
    try {
      await maya.query(`declare pc cursor for select id, reverse(card) as r, name from ${T} order by id`);
      expect(await query('fetch 2 from pc')).toEqual([['1', reversedCard(0), 'Alice'], ['2', reversedCard(1), 'Bob']]);
      expect(await query('fetch next from pc')).toEqual([['3', reversedCard(2), 'Cleo']]);
      await maya.query('close pc');
      await maya.query(`declare pc cursor for select name, id from ${T} order by id`);
      expect(await query('fetch 1 from pc')).toEqual([['Alice', '1']]);
    } finally {
      await maya.query('rollback');
    }
  });

  it('a cursor WITH HOLD is still masked after its transaction commits', async () => {
    await maya.query(`declare hc cursor with hold for select substr(card, 1, 8) as a, substr(card, 9, 8) as b from ${T} order by id`);
    try {
      const rows = await query('fetch all from hc');
      expect(rows).toHaveLength(3);
      expect(findLeaks(rows, secrets)).toEqual([]);
    } finally {
      await maya.query('close hc');
    }
  });

  it('FETCH through the extended protocol, from a cursor over a view', async () => {
    await maya.query('begin');
    try {
      await maya.query(`declare xc cursor for select reverse(card) from ${V} order by id`);
      const rows = await query('fetch all from xc', [], { queryMode: 'extended' } as Partial<pg.QueryConfig>);
      expect(rows).toEqual([[reversedCard(0)], [reversedCard(1)], [reversedCard(2)]]);
    } finally {
      await maya.query('rollback');
    }
  });
});

describe('COPY formats', () => {
  const copy = (sql: string) => psql([gatewayUrl(t, 'maya', mayaToken, 'pg'), '-At', '-c', sql]);

  it('CSV with a header, another delimiter and quote: rules apply by column', async () => {
    const r = await copy(`copy (select id, name, reverse(card) as r, email from ${T} order by id) to stdout with (format csv, header, delimiter ';', quote '''')`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(['id;name;r;email', ...secrets.cards.map((_, i) => `${i + 1};${names[i]};${reversedCard(i)};****`)].join('\n') + '\n');
  });

  it('CSV values with delimiters, quotes and line breaks stay one value each', async () => {
    const r = await copy(`copy (select id, name || E',"x\\ny' as n, card, null as z from ${T} order by id) to stdout with (format csv, force_quote (n))`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(secrets.cards.map((c, i) => `${i + 1},"${names[i]},""x\ny",****${c.slice(-4)},\n`).join(''));
  });

  it('text format with another delimiter and NULL string', async () => {
    const r = await copy(`copy (select id, null as z, reverse(card), name || '|x' from ${T} order by id) to stdout with (delimiter '|', null 'NIL')`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(secrets.cards.map((_, i) => `${i + 1}|NIL|${reversedCard(i)}|${names[i]}\\|x\n`).join(''));
  });

  it('a whole table without a header: the catalog names its columns, so rules apply by column', async () => {
    for (const sql of [`copy ${T} to stdout`, `copy public.${T} to stdout with (format csv)`]) {
      const r = await copy(sql);
      expect(r.stderr).toBe('');
      const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(sql.includes('csv') ? ',' : '\t'));
      expect(rows).toEqual(secrets.cards.map((c, i) => [String(i + 1), names[i], '****', `****${c.slice(-4)}`, '****', '****']));
    }
  });

  it('a whole table with a CSV header: the header names the columns', async () => {
    const r = await copy(`copy ${T} to stdout with (format csv, header)`);
    expect(r.stderr).toBe('');
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head).toBe('id,name,email,card,ssn,iban');
    expect(rows).toEqual(secrets.cards.map((c, i) => `${i + 1},${names[i]},****,****${c.slice(-4)},****,****`));
  });

  it('binary COPY is refused under a mask verdict (fail closed)', async () => {
    const r = await copy(`copy (select id, card from ${T}) to stdout with (format binary)`);
    expect(r.stderr).toContain('binary COPY results cannot be masked');
    expect(r.stdout).toBe('');
  });
});

/**
 * Content detectors with lineage (core/masking/split-values.ts, detectors.ts
 * `createLenientDetectors`): columns sharing a source are also read joined,
 * computed columns also get the lenient detectors; plain columns and
 * unrelated ones stay as they are.
 */
describe('detectors: split and transformed values', () => {
  const D = `w_det_${process.pid}`;
  beforeAll(async () => {
    await direct.query(`drop table if exists ${D}; create table ${D} (id int, n int, code text, word text, a text, b text)`);
    // a 9-digit number that passes the SSN rules, as an int and as text; two halves of a Luhn-valid card in unrelated columns
    await direct.query(`insert into ${D} values (1, 536228419, '536228419', 'Hello World', '41111111', '11111111')`);
  });
  afterAll(async () => {
    await direct?.query(`drop table if exists ${D}`);
  });

  it.each([
    [`select id, substr(ssn, 1, 6) as a, name, substr(ssn, 7) as b from ${T} order by id`, (i: number) => [String(i + 1), '****', names[i], '****']],
    [`select substr(ssn, 7) as b, substr(ssn, 1, 6) as a from ${T} order by id`, () => ['****', '****']],
    [`select substr(ssn, 1, 3) as a, substr(ssn, 5, 2) as b, substr(ssn, 8) as c from ${T} order by id`, () => ['****', '****', '****']],
    [`select substr(iban, 1, 10) as a, substr(iban, 11) as b from ${V} order by id`, () => ['****', '****']],
    [`select lower(iban) as i, replace(ssn, '-', '') as s, lower(name) as n from ${T} order by id`, (i: number) => ['****', '****', names[i]!.toLowerCase()]],
    [`select replace(ssn, '-', ' ') as s, initcap(iban) as i from ${T} order by id`, () => ['****', '****']],
  ])('%s', async (sql, expected) => {
    expect(await query(sql)).toEqual(names.map((_, i) => expected(i)));
  });

  it('binary results of text type', async () => {
    const r = await binaryQuery(`select lower(iban) as i, replace(ssn, '-', '') as s, substr(ssn, 1, 6) as a, substr(ssn, 7) as b, lower(name) as n from ${T} order by id`);
    expect(r.rows.map((row) => row.map(String))).toEqual(names.map((n) => ['****', '****', '****', '****', n.toLowerCase()]));
  });

  it('COPY lines', async () => {
    const sql = `copy (select substr(ssn, 1, 6), name, substr(ssn, 7), lower(iban), replace(ssn, '-', '') from ${T} order by id) to stdout`;
    const r = await psql([gatewayUrl(t, 'maya', mayaToken, 'pg'), '-At', '-c', sql]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(names.map((n) => `****\t${n}\t****\t****\t****\n`).join(''));
  });

  it('plain columns keep the strict detectors; numbers are not SSNs; unrelated columns are not joined', async () => {
    const plain = ['536228419', '536228419', 'Hello World', '41111111', '11111111'];
    expect(await query(`select n, code, word, a, b from ${D}`)).toEqual([plain]);
    expect(await query(`select n + 0 as n2, code::varchar as c, lower(word) as w, substr(a, 1) as a2, substr(b, 1) as b2 from ${D}`)).toEqual([
      ['536228419', '536228419', 'hello world', '41111111', '11111111'],
    ]);
    // a computed text column with 9 digits that pass the SSN rules is taken for one (the price of catching `replace(ssn, '-', '')`)
    expect(await query(`select trim(code) as c from ${D}`)).toEqual([['****']]);
  });
});
