import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, gatewayUrl, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';

/**
 * What a client uploads with COPY … FROM STDIN is recorded on the statement: the bytes of its
 * CopyData as they passed and their SHA-256 (`upload`), also when the COPY fails at the target
 * or the client gives it up with CopyFail (the statement's `error` says which).
 */
let t: TestGateway;
let token: string;
const table = `w_upload_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'warden-copy-upload-'));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  t = await startTestGateway();
  token = await t.user('uma');
  await t.connection('pg');
  await psql([gatewayUrl(t, 'uma', token, 'pg'), '-c', `create table ${table} (id int, note text)`]);
});
afterAll(async () => {
  await psql([gatewayUrl(t, 'uma', token, 'pg'), '-c', `drop table if exists ${table}`]);
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function copyStatement(): Promise<StatementEvent> {
  const { events } = await endedSession(t, 'uma');
  const copy = events.find((e): e is StatementEvent => e.type === 'statement' && /^copy\s.*\sfrom\s+stdin/is.test(e.text));
  expect(copy).toBeDefined();
  return copy!;
}

describe('COPY FROM STDIN through the gateway', () => {
  it("records the bytes and SHA-256 of a file psql's \\copy sends", async () => {
    // Large enough to go as many CopyData messages.
    const content = Array.from({ length: 20_000 }, (_, i) => `${i}\tnote ${i} é\n`).join('');
    const file = join(dir, 'rows.tsv');
    writeFileSync(file, content);
    const r = await psql([gatewayUrl(t, 'uma', token, 'pg'), '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} from '${file}'`]);
    expect(r.stderr).toBe('');
    const copy = await copyStatement();
    expect(copy.commandTag).toBe('COPY 20000');
    expect(copy.upload).toEqual({ bytes: Buffer.byteLength(content), sha256: sha256(content) });
    expect(copy.error).toBeUndefined();
  });

  it('records what was sent of a malformed file the target refused, with its error', async () => {
    const content = '1\tfine\nnot-a-number\tbad\n';
    const file = join(dir, 'bad.tsv');
    writeFileSync(file, content);
    const r = await psql([gatewayUrl(t, 'uma', token, 'pg'), '-c', `\\copy ${table} from '${file}'`]);
    expect(r.stderr).toContain('invalid input syntax');
    const copy = await copyStatement();
    expect(copy.error?.code).toBe('22P02');
    expect(copy.upload).toEqual({ bytes: content.length, sha256: sha256(content) });
  });

  it('records what was sent before a client gave up with CopyFail', async () => {
    const data = Buffer.from('7\tsent before giving up\n');
    const reply = await rawCopy(data, 'the client gave up');
    expect(reply.toString()).toContain('the client gave up');
    const copy = await copyStatement();
    expect(copy.error).toMatchObject({ code: '57014', message: expect.stringContaining('the client gave up') });
    expect(copy.upload).toEqual({ bytes: data.length, sha256: sha256(data) });
  });
});

/** A client speaking the protocol itself: COPY FROM STDIN, one CopyData, then CopyFail with `reason`; returns what it got. */
function rawCopy(data: Buffer, reason: string): Promise<Buffer> {
  const msg = (type: string, body: Buffer) => {
    const b = Buffer.alloc(5 + body.length);
    b.write(type);
    b.writeInt32BE(4 + body.length, 1);
    body.copy(b, 5);
    return b;
  };
  const params = Buffer.from(`user\0uma\0database\0pg\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let copying = false;
    const s = connect(t.pgPort, '127.0.0.1', () => {
      s.write(startup);
      s.write(msg('p', Buffer.from(`${token}\0`)));
      s.write(msg('Q', Buffer.from(`copy ${table} from STDIN\0`)));
    });
    s.on('data', (d: Buffer) => {
      got.push(d);
      const all = Buffer.concat(got);
      // CopyInResponse ('G'): the target waits for data. After the CopyFail, its error and ReadyForQuery end the exchange.
      if (!copying && all.includes(Buffer.from([0x47, 0, 0, 0]))) {
        copying = true;
        s.write(Buffer.concat([msg('d', data), msg('f', Buffer.from(`${reason}\0`))]));
      } else if (copying && all.toString('latin1').includes(reason) && all[all.length - 6] === 0x5a) s.end(msg('X', Buffer.alloc(0)));
    });
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('no answer to the CopyFail')));
  });
}
