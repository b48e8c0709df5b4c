import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanEnv, runWarden } from '../../src/cli/testing.ts';
import { issueToken } from '../../src/core/identity/index.ts';
import { newId } from '../../src/core/ids.ts';
import { allowAll } from '../../src/core/policy/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { openTerminal } from '../ssh/terminal.ts';

// An SSH shell's asciicast shipped to S3-compatible storage (s3rver) and gone from the local spool:
// `warden replay` still plays it, read from the bucket.
let s3: TestS3;
let sshd: TestSshd;
let t: TestGatewayWithMysql;
let bob: string;
let auditor: string;

beforeAll(async () => {
  s3 = await startS3();
  sshd = await startTestSshd();
  t = await startTestGateway({ policy: allowAll, config: { recording: { flushIntervalMs: 50, s3: s3.config({ shipIntervalMs: 100 }) } } });
  bob = await t.user('bob');
  const u = await t.gw.core.users.create({ id: newId('usr'), name: 'ada', role: 'auditor', groups: [], createdAt: new Date() });
  auditor = (await issueToken(t.gw.core, u.id, { name: 'test' })).token;
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  await s3?.stop();
});

test('`warden replay` plays a shell whose asciicast is only in the bucket', async () => {
  const term = await openTerminal(t.sshPort, 'bob@box', bob);
  await term.waitFor(/\$ $/);
  term.type('echo shipped-$((6*7))\r');
  await term.waitFor(/shipped-42/);
  term.type('exit\r');
  await term.exited;
  const { session, events } = await endedSession(t, 'bob', 'box');
  expect(events.map((e) => e.type)).toContain('session_end');
  const spool = join(t.dataDir, 'recordings');
  for (let i = 0; i < 400 && readdirSync(spool).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
  expect(existsSync(join(spool, `${session.id}.cast`))).toBe(false);

  const r = await runWarden(['replay', session.id, '--speed', '1000', '--max-idle', '0'], { env: cleanEnv({ WARDEN_URL: t.apiUrl, WARDEN_TOKEN: auditor }) });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('shipped-42');
  expect(r.stderr).toContain(`end of session ${session.id}`);
});
