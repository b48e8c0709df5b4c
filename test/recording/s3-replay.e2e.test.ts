import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { startReplaySetup, type ReplaySetup } from '../ssh/replay-setup.ts';
import { openTerminal } from '../ssh/terminal.ts';

// An SSH shell's asciicast shipped to S3-compatible storage (s3rver) and gone from the local spool:
// `warden replay` still plays it, read from the bucket.
let s3: TestS3;
let s: ReplaySetup;

beforeAll(async () => {
  s3 = await startS3();
  s = await startReplaySetup({ recording: { flushIntervalMs: 50, s3: s3.config({ shipIntervalMs: 100 }) } });
});
afterAll(async () => {
  await s?.stop();
  await s3?.stop();
});

test('`warden replay` plays a shell whose asciicast is only in the bucket', async () => {
  const { t, bob, auditor } = s;
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

  const r = await s.replay([session.id, '--speed', '1000', '--max-idle', '0'], auditor);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('shipped-42');
  expect(r.stderr).toContain(`end of session ${session.id}`);
});
