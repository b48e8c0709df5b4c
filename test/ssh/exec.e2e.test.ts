import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { sshExec } from './ssh-client.ts';

// The real policy engine with real rules: `touch` and `rm` are blocked wherever they hide
// in the line, other known commands are allowed, and the shipped defaults judge the rest.
const rules = [
  { id: 'test:no-touch', match: { commands: ['touch', 'rm'] }, effect: 'block', message: 'touch is not allowed on this server' },
  { id: 'test:allow-known', match: { classes: ['read', 'write', 'network'] }, effect: 'allow' },
  { id: 'test:review-mkdir', match: { commands: ['mkdir'] }, effect: 'review', approvers: ['ops'], review: { mode: 'queue' } },
  { id: 'test:hold-cp', match: { commands: ['cp'] }, effect: 'review', approvers: ['ops'], review: { mode: 'hold' } },
];

/** sshpass's exit status when the server asks for the password again, i.e. refused it. */
const refused = 5;

let sshd: TestSshd;
let t: TestGatewayWithMysql;
let token: string;
let approver: string;

const approve = (id: string) =>
  fetch(`${t.apiUrl}/api/v1/reviews/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: '{}' });

beforeAll(async () => {
  sshd = await startTestSshd();
  t = await startTestGateway({ rules });
  token = await t.user('alice');
  approver = await t.user('olga', ['ops']);
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
});

describe('ssh exec through the gateway', () => {
  test('runs on the target with stdout, stderr and exit status relayed, and is recorded', async () => {
    const r = await sshExec(t.sshPort, 'alice@box', token, 'whoami; echo oops >&2; exit 3');
    expect(r.stdout.trim()).toBe(sshd.user);
    expect(r.stderr).toContain('oops');
    expect(r.code).toBe(3);
    const { session, events } = await endedSession(t, 'alice', 'box');
    expect(session.protocol).toBe('ssh');
    const cmd = events.find((e): e is StatementEvent => e.type === 'statement')!;
    expect(cmd.text).toBe('whoami; echo oops >&2; exit 3');
    expect(cmd.commandTag).toBe('exit 3');
    expect(cmd.rows).toEqual([[String(sshd.user.length + 1), '5']]);
    expect(events.at(-1)).toMatchObject({ type: 'session_end' });
  });

  test('relays stdin to the command', async () => {
    const r = await sshExec(t.sshPort, 'alice@box', token, 'tr a-z A-Z', 'hello warden\n');
    expect(r).toMatchObject({ code: 0, stdout: 'HELLO WARDEN\n' });
  });

  test('a blocked command never reaches the target: message on stderr, exit status 1', async () => {
    const file = `/tmp/warden-ssh-blocked-${process.pid}`;
    const r = await sshExec(t.sshPort, 'alice@box', token, `touch ${file}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('touch is not allowed on this server');
    expect(existsSync(file)).toBe(false);
    const { events } = await endedSession(t, 'alice', 'box');
    const cmd = events.find((e): e is StatementEvent => e.type === 'statement')!;
    expect(cmd).toMatchObject({ text: `touch ${file}`, error: { code: 'blocked' }, verdict: { effect: 'block', rules: ['test:no-touch'] } });
  });

  test('a command hidden in a list, a substitution or bash -c is found and blocked', async () => {
    const file = `/tmp/warden-ssh-hidden-${process.pid}`;
    for (const line of [`ls /tmp; touch ${file}`, `echo $(touch ${file})`, `bash -c 'touch ${file}'`, `env X=1 t\\ouch ${file}`]) {
      const r = await sshExec(t.sshPort, 'alice@box', token, line);
      expect(r.code, line).toBe(1);
      expect(r.stderr, line).toContain('touch is not allowed on this server');
      expect(existsSync(file), line).toBe(false);
    }
  });

  test('the shipped defaults block what no rule covers: unknown programs and sudo', async () => {
    const unknown = await sshExec(t.sshPort, 'alice@box', token, 'eval "echo hi"');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('cannot tell what this command does');
    const sudo = await sshExec(t.sshPort, 'alice@box', token, 'sudo id');
    expect(sudo).toMatchObject({ code: 1, stdout: '' });
    expect(sudo.stderr).toContain('privileged commands');
  });

  test('a wrong token is refused', async () => {
    const r = await sshExec(t.sshPort, 'alice@box', 'wdn_nope_nope', 'echo hi');
    expect(r.code).toBe(refused);
    expect(r.stdout).toBe('');
  });

  test('an unknown connection is refused', async () => {
    const r = await sshExec(t.sshPort, 'alice@nowhere', token, 'echo hi');
    expect(r.code).toBe(refused);
    expect(r.stdout).toBe('');
  });

  test('a user name without a connection is refused', async () => {
    const r = await sshExec(t.sshPort, 'alice', token, 'echo hi');
    expect(r.code).toBe(refused);
  });

  test('a target that refuses the stored credential ends the exec with a clear message, never the credential', async () => {
    await t.connection('box-badpw', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: 'not-the-password' });
    const r = await sshExec(t.sshPort, 'alice@box-badpw', token, 'echo should-not-run');
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("refused the gateway's login");
    expect(r.stderr).not.toContain('not-the-password');
  });

  test('the gateway host key is persisted and the target key pinned; a changed target key refuses loudly', async () => {
    expect(readFileSync(join(t.dataDir, 'ssh', 'host_ed25519_key'), 'utf8')).toContain('OPENSSH PRIVATE KEY');
    const pinFile = join(t.dataDir, 'ssh', 'known_targets.json');
    const pins = JSON.parse(readFileSync(pinFile, 'utf8')) as Record<string, string>;
    const address = `127.0.0.1:${sshd.port}`;
    expect(pins[address]).toMatch(/^SHA256:/);
    writeFileSync(pinFile, JSON.stringify({ ...pins, [address]: 'SHA256:somethingelse' }));
    try {
      const r = await sshExec(t.sshPort, 'alice@box', token, 'echo should-not-run');
      expect(r.stdout).toBe('');
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('CHANGED');
    } finally {
      writeFileSync(pinFile, JSON.stringify(pins));
    }
  });

  test('queue mode: a command that needs review is refused with the review id, then runs once approved', async () => {
    const dir = `/tmp/warden-ssh-queue-${process.pid}`;
    rmSync(dir, { recursive: true, force: true });
    const first = await sshExec(t.sshPort, 'alice@box', token, `mkdir ${dir}`);
    expect(first.code).toBe(1);
    const id = /review (R-\d+) is open/.exec(first.stderr)?.[1];
    expect(id, first.stderr).toBeDefined();
    expect(existsSync(dir)).toBe(false);
    expect((await approve(id!)).status).toBe(200);
    const second = await sshExec(t.sshPort, 'alice@box', token, `mkdir ${dir}`);
    expect(second.code, second.stderr).toBe(0);
    expect(existsSync(dir)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  test('hold mode: the command waits, told on stderr, and runs when approved', async () => {
    const file = `/tmp/warden-ssh-hold-${process.pid}`;
    rmSync(file, { force: true });
    const running = sshExec(t.sshPort, 'alice@box', token, `cp /etc/hostname ${file}`);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      const inbox = (await (await fetch(`${t.apiUrl}/api/v1/reviews/inbox`, { headers: { authorization: `Bearer ${approver}` } })).json()) as { id: string; connection: string }[];
      id = inbox.find((r) => r.connection === 'box')?.id;
      if (!id) await new Promise((r) => setTimeout(r, 50));
    }
    expect(id).toBeDefined();
    expect(existsSync(file)).toBe(false);
    expect((await approve(id!)).status).toBe(200);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`waiting for approval: review ${id}`);
    expect(existsSync(file)).toBe(true);
    rmSync(file, { force: true });
  });
});
