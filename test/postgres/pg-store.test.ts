import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// The same gateway on the shared PostgreSQL store (what several replicas use), in a schema of its own.
let t: TestGateway;
let token: string;
const storeUrl = 'postgres://postgres@127.0.0.1:5432/test';

beforeAll(async () => {
  t = await startTestGateway({ storeUrl });
  token = await t.user('frank');
  await t.connection('pg');
});
afterAll(() => t?.stop());

describe('gateway on the PostgreSQL store', () => {
  it('authenticates, relays and records sessions in its own schema', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'frank', password: token, database: 'pg' });
    await c.connect();
    expect((await c.query('select 6 * 7 as answer')).rows).toEqual([{ answer: 42 }]);
    await c.end();
    const { session, events } = await endedSession(t, 'frank');
    expect(session).toMatchObject({ userName: 'frank', connectionName: 'pg', protocol: 'postgres', statements: 1 });
    expect(events.find((e) => e.type === 'statement')).toMatchObject({ text: 'select 6 * 7 as answer', rows: [['42']] });

    const direct = new pg.Client({ connectionString: storeUrl });
    await direct.connect();
    const schema = t.gw.core.config.store.schema;
    const rows = await direct.query(`select user_name from ${schema}.sessions where id = $1`, [session.id]);
    await direct.end();
    expect(rows.rowCount).toBe(1);
  });
});
