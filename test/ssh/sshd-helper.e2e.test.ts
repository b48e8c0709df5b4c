import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';

const run = promisify(execFile);
let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startTestSshd();
});
afterAll(() => sshd?.stop());

// The harness itself: the real ssh client logs into the private sshd directly.
test('the private sshd accepts its test user', async () => {
  const { stdout } = await run('sshpass', ['-p', sshd.password, 'ssh', '-p', String(sshd.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${sshd.user}@127.0.0.1`, 'whoami']);
  expect(stdout.trim()).toBe(sshd.user);
});
