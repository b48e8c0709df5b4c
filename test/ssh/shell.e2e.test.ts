import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2, { type ClientChannel } from 'ssh2';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { allowAll } from '../../src/core/policy/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';

let sshd: TestSshd;
let t: TestGatewayWithMysql;
let token: string;

beforeAll(async () => {
  sshd = await startTestSshd();
  // The shipped engine cannot judge commands yet; the shell test is about relay and recording.
  t = await startTestGateway({ policy: allowAll });
  token = await t.user('bob');
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
});

/** An ssh2 client as the user's terminal: a PTY, typed lines, output collected until the shell exits. */
function typeIntoShell(lines: string[]): Promise<{ output: string; code: number | undefined }> {
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.on('error', reject);
    client.on('ready', () => {
      client.shell({ term: 'xterm', cols: 100, rows: 30 }, (err, stream: ClientChannel) => {
        if (err) return reject(err);
        let output = '';
        let code: number | undefined;
        stream.on('data', (b: Buffer) => (output += b.toString()));
        stream.on('exit', (c: number) => (code = c));
        stream.on('close', () => {
          client.end();
          resolve({ output, code });
        });
        stream.setWindow(40, 120, 0, 0);
        for (const line of lines) stream.write(line + '\n');
      });
    });
    client.connect({ host: '127.0.0.1', port: t.sshPort, username: 'bob@box', password: token, hostVerifier: () => true });
  });
}

test('an interactive shell with a PTY is relayed and recorded as asciicast v2', async () => {
  const { output, code } = await typeIntoShell(['echo shell-$((40+2))', 'exit 7']);
  expect(output).toContain('shell-42');
  expect(code).toBe(7);
  const { session, events } = await endedSession(t, 'bob', 'box');
  expect(events.some((e) => e.type === 'notice' && e.message.includes('.cast'))).toBe(true);
  const lines = readFileSync(join(t.dataDir, 'recordings', `${session.id}.cast`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  const [header, ...frames] = lines as [{ version: number; width: number; height: number }, ...[number, string, string][]];
  expect(header).toMatchObject({ version: 2, width: 100, height: 30 });
  expect(frames.every(([t, code]) => typeof t === 'number' && ['o', 'i', 'r'].includes(code))).toBe(true);
  expect(frames.filter(([, c]) => c === 'o').map(([, , d]) => d).join('')).toContain('shell-42');
  expect(frames.filter(([, c]) => c === 'i').map(([, , d]) => d).join('')).toContain('echo shell-$((40+2))');
  expect(frames).toContainEqual([expect.any(Number), 'r', '120x40']);
});
