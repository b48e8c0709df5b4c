import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// Hostile and broken clients: each gets a protocol-correct error, only its own socket closes,
// and a healthy session opened before carries on.
let t: TestGateway;
let token: string;
let healthy: pg.Client;
const table = `w_bad_${process.pid}`;

beforeAll(async () => {
  t = await startTestGateway();
  token = await t.user('carol');
  await t.connection('pg');
  healthy = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'carol', password: token, database: 'pg' });
  await healthy.connect();
  await healthy.query(`create table if not exists ${table} (v text)`);
});
afterAll(async () => {
  await healthy.query(`drop table if exists ${table}`);
  await healthy.end();
  await t.stop();
});

/** Sends raw bytes to the gateway and collects everything until it closes the socket. */
function raw(bytes: Buffer[], keepOpenMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s: Socket = connect(t.pgPort, '127.0.0.1', async () => {
      for (const b of bytes) s.write(b);
      if (keepOpenMs) await new Promise((r) => setTimeout(r, keepOpenMs));
    });
    s.on('data', (d) => got.push(d));
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('gateway did not close the socket')));
  });
}

function startup(user: string, database: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  body.copy(b, 8);
  return b;
}

function password(p: string): Buffer {
  const body = Buffer.from(p + '\0');
  const b = Buffer.alloc(5 + body.length);
  b.write('p');
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

async function stillHealthy() {
  expect((await healthy.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
}

describe('bad input', () => {
  it('answers garbage before login with a protocol violation and closes only that socket', async () => {
    const reply = await raw([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    expect(reply[0]).toBe(0x45); // ErrorResponse
    expect(reply.toString()).toContain('08P01');
    await stillHealthy();
  });

  it('refuses an oversized startup packet', async () => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(1_000_000, 0);
    b.writeInt32BE(196608, 4);
    const reply = await raw([b]);
    expect(reply.toString()).toContain('invalid startup');
    await stillHealthy();
  });

  it('closes a logged-in session that sends an impossible message length', async () => {
    const junk = Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    const reply = await raw([startup('carol', 'pg'), password(token), junk], 300);
    expect(reply.toString()).toContain('protocol violation');
    await stillHealthy();
    const { session } = await endedSession(t, 'carol');
    expect(session.endReason).toMatch(/protocol violation/);
  });

  it('survives a client that vanishes mid-COPY: nothing half-copied reaches the table', async () => {
    const copy = Buffer.from(`copy ${table} from stdin\0`);
    const q = Buffer.alloc(5 + copy.length);
    q.write('Q');
    q.writeInt32BE(4 + copy.length, 1);
    copy.copy(q, 5);
    const row = Buffer.from('half-copied\n');
    const data = Buffer.alloc(5 + row.length);
    data.write('d');
    data.writeInt32BE(4 + row.length, 1);
    row.copy(data, 5);
    await new Promise<void>((resolve) => {
      const s = connect(t.pgPort, '127.0.0.1', () => {
        s.write(startup('carol', 'pg'));
        s.write(password(token));
        s.write(q);
      });
      s.on('data', (d) => {
        // CopyInResponse ('G') means the target waits for data: send a little, then vanish.
        if (d.includes(0x47)) {
          s.write(data);
          setTimeout(() => s.destroy(), 50);
        }
      });
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const { session } = await endedSession(t, 'carol');
    expect(session.endReason).toBe('client closed the connection');
    for (let i = 0; i < 50; i++) {
      const idle = await healthy.query("select count(*)::int as n from pg_stat_activity where query like 'copy w_bad_%' and state = 'active'");
      if (idle.rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await healthy.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 0 }]);
  });
});
