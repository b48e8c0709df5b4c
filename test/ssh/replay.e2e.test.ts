import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { startReplaySetup, type ReplaySetup } from './replay-setup.ts';
import { sshExec } from './ssh-client.ts';
import { openTerminal } from './terminal.ts';

let s: ReplaySetup;
let t: ReplaySetup['t'];
let bob: string;
let auditor: string;

beforeAll(async () => {
  s = await startReplaySetup();
  ({ t, bob, auditor } = s);
});
afterAll(async () => {
  await s?.stop();
});

const replay = (args: string[], token: string) => s.replay(args, token);

test('`warden replay` writes exactly the recorded output of a shell, in order', async () => {
  const term = await openTerminal(t.sshPort, 'bob@box', bob);
  await term.waitFor(/\$ $/);
  term.type('echo replay-$((6*7))\r');
  await term.waitFor(/replay-42/);
  term.type('exit\r');
  await term.exited;
  const { session } = await endedSession(t, 'bob', 'box');

  const frames = readFileSync(join(t.dataDir, 'recordings', `${session.id}.cast`), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as [number, string, string]);
  const recorded = frames.filter(([, code]) => code === 'o').map(([, , data]) => data).join('');
  expect(recorded).toContain('replay-42');

  const r = await replay([session.id, '--speed', '1000', '--max-idle', '0'], auditor);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(recorded);
  expect(r.stderr).toContain(`end of session ${session.id}`);
});

test('a session without a shell, an unknown one, and a plain user are refused with a clear message', async () => {
  await sshExec(t.sshPort, 'bob@box', bob, 'true');
  const { session } = await endedSession(t, 'bob', 'box');
  const noCast = await replay([session.id], auditor);
  expect(noCast.code).toBe(1);
  expect(noCast.stderr).toContain('has no terminal recording');
  const unknown = await replay(['ses_nope'], auditor);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no session ses_nope');
  const user = await replay([session.id], bob);
  expect(user.code).toBe(1);
  expect(user.stdout).toBe('');
  const badSpeed = await replay([session.id, '--speed', '0'], auditor);
  expect(badSpeed.code).not.toBe(0);
  expect(badSpeed.stderr).toContain('0.1 to 1000');
});
