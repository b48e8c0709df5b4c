import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, gatewayUrl, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';

// The real psql binary against the machine's PostgreSQL, through a whole gateway.
let t: TestGateway;
let token: string;
const table = `w_psql_${process.pid}`;

beforeAll(async () => {
  t = await startTestGateway({ config: { recording: { flushIntervalMs: 50, maxRowsPerStatement: 5 } } });
  token = await t.user('alice');
  await t.connection('pg');
});
afterAll(async () => {
  await psql([gatewayUrl(t, 'alice', token, 'pg'), '-c', `drop table if exists ${table}`]);
  await t.stop();
});

const url = (sslmode = 'disable') => gatewayUrl(t, 'alice', token, 'pg', sslmode);

describe('psql through the gateway', () => {
  it('runs queries over TLS and without it', async () => {
    for (const mode of ['require', 'disable']) {
      const r = await psql([url(mode), '-At', '-c', 'select 40 + 2', '-c', '\\conninfo']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('42');
      if (mode === 'require') expect(r.stdout).toMatch(/SSL connection \(protocol: TLS/);
      else expect(r.stdout).not.toMatch(/SSL connection/);
    }
  });

  it('describes tables, copies in and out, and records what the client received', async () => {
    const r = await psql([url(), '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
      input: [
        `create table ${table} (id int primary key, email text);`,
        `copy ${table} from stdin;`,
        ...Array.from({ length: 8 }, (_, i) => `${i + 1}\tuser${i + 1}@example.com`),
        '\\.',
        `\\d ${table}`,
        `copy ${table} to stdout;`,
        `select count(*) from ${table};`,
      ].join('\n') + '\n',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Table "public\.w_psql_\d+"/);
    expect(r.stdout).toContain('email  | text');
    expect(r.stdout).toContain('8\tuser8@example.com');
    expect(r.stdout).toMatch(/count\s*-+\s*8/);

    const { session, events } = await endedSession(t, 'alice');
    expect(session.statements).toBeGreaterThanOrEqual(5);
    expect(session.bytesFromClient).toBeGreaterThan(0);
    const statements = events.filter((e) => e.type === 'statement');
    const copyIn = statements.find((e) => e.text.startsWith(`copy ${table} from`));
    expect(copyIn?.commandTag).toBe('COPY 8');
    const copyOut = statements.find((e) => e.text.startsWith(`copy ${table} to`));
    expect(copyOut).toMatchObject({ rowCount: 8, rowsTruncated: true, commandTag: 'COPY 8' });
    expect(copyOut?.rows).toHaveLength(5);
    expect(copyOut?.rows?.[0]).toEqual(['1\tuser1@example.com']);
    const count = statements.find((e) => e.text.startsWith('select count'));
    expect(count).toMatchObject({ columns: ['count'], rows: [['8']], rowCount: 1 });
  });

  it('shows target errors with their SQLSTATE and keeps the session usable', async () => {
    const r = await psql([url(), '-At', '-v', 'VERBOSITY=verbose', '-c', 'select 1/0', '-c', 'select 7']);
    expect(r.stderr).toContain('ERROR:  22012: division by zero');
    expect(r.stdout.trim()).toBe('7');
    const { events } = await endedSession(t, 'alice');
    const failed = events.find((e) => e.type === 'statement' && e.text === 'select 1/0');
    expect(failed).toMatchObject({ error: { code: '22012', message: 'division by zero' } });
  });

  it('caps recorded rows per statement but counts them all', async () => {
    await psql([url(), '-c', 'select g from generate_series(1, 20) g']);
    const { events } = await endedSession(t, 'alice');
    const e = events.find((x) => x.type === 'statement' && x.text.includes('generate_series'));
    expect(e).toMatchObject({ rowCount: 20, rowsTruncated: true, commandTag: 'SELECT 20' });
    expect(e?.type === 'statement' && e.rows).toEqual([['1'], ['2'], ['3'], ['4'], ['5']]);
  });

  it('answers login failures with the right SQLSTATE', async () => {
    const verbose = { env: { PGOPTIONS: '' } };
    const bad = await psql([gatewayUrl(t, 'alice', 'wdn_not_a_token', 'pg'), '-c', 'select 1'], verbose);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid token for user "alice"');
    const unknown = await psql([gatewayUrl(t, 'alice', token, 'no-such-connection'), '-c', 'select 1']);
    expect(unknown.stderr).toContain('connection "no-such-connection" does not exist');
    // The token never appears in what the client is told.
    expect(bad.stderr + unknown.stderr).not.toContain(token);
  });
});
