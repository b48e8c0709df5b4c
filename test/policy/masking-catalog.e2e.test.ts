import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startPrivatePg, type PrivatePg } from '../helpers/private-pg.ts';

/**
 * Masking learns what a relation is (table or view, and the view's query)
 * from the target's catalog over a second connection. When that connection
 * cannot be had — here the target role may hold one connection only, which
 * the session itself takes — masking cannot tell a view from a table, and
 * every result to mask is hidden whole (fail closed). Once the role may open
 * two, the same queries are masked column by column.
 */
const card = '4111111111111111';
const rules = [
  { id: 'mask-cards', effect: 'mask', match: {}, mask: { columns: [{ column: 'public.cards.card', strategy: 'partial' }] } },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read', 'transaction', 'utility'] } },
];

let target: PrivatePg;
let admin: pg.Client;
let t: TestGateway;
let token: string;

beforeAll(async () => {
  target = await startPrivatePg();
  admin = new pg.Client({ host: '127.0.0.1', port: target.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`create table cards (id int, holder text, card text); insert into cards values (1, 'Alice', '${card}')`);
  await admin.query(`create view card_view as select id, holder, card from cards; grant select on cards, card_view to ${target.roles.scram}`);
  t = await startTestGateway({ rules });
  token = await t.user('maya');
  await t.connection('priv', { host: '127.0.0.1', port: target.port, database: 'postgres', username: target.roles.scram, password: target.password });
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await admin?.end();
  await target?.stop();
});

async function rowsThroughGateway(sql: string): Promise<unknown[][]> {
  const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'maya', password: token, database: 'priv' });
  await c.connect();
  try {
    // Values as the wire carried them: a hidden int is '****', which the driver would parse to NaN.
    const asSent = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;
    return (await c.query({ text: sql, rowMode: 'array', types: asSent })).rows as unknown[][];
  } finally {
    await c.end();
  }
}

describe('when the catalog cannot be read', () => {
  it('results to mask are hidden whole, from a view or a table', async () => {
    await admin.query(`alter role ${target.roles.scram} connection limit 1`);
    expect(await rowsThroughGateway('select id, holder, reverse(card) from card_view')).toEqual([['****', '****', '****']]);
    expect(await rowsThroughGateway('select id, holder, reverse(card) from cards')).toEqual([['****', '****', '****']]);
    const ended = await endedSession(t, 'maya');
    const st = ended.events.find((e) => e.type === 'statement' && e.text.includes('from cards'));
    expect(st?.type === 'statement' && st.masked?.byColumn['*']).toEqual({ 'warden:unknown-lineage': 3 });
  });

  it('with the catalog readable, the same view is masked column by column', async () => {
    await admin.query(`alter role ${target.roles.scram} connection limit -1`);
    expect(await rowsThroughGateway('select id, holder, reverse(card) from card_view')).toEqual([['1', 'Alice', '****1114']]);
  });
});
