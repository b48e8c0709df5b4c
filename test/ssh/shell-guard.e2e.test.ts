import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { sshExec } from './ssh-client.ts';
import { openTerminal } from './terminal.ts';

// Real rules on the real engine: `rm` is blocked wherever it hides, other known commands run;
// carol may only run commands one at a time (no shell), dave's shells need ops' approval.
const rules = [
  { id: 'test:no-rm', match: { commands: ['rm'] }, effect: 'block', message: 'rm is not allowed on this server' },
  { id: 'test:allow-known', match: { classes: ['read', 'write', 'network'] }, effect: 'allow' },
  { id: 'test:carol-exec-only', match: { users: ['carol'], shell: true }, effect: 'block', message: 'carol runs commands, not shells' },
  { id: 'test:dave-shell-review', match: { users: ['dave'], shell: true }, effect: 'review', approvers: ['ops'], review: { mode: 'hold' } },
];

let sshd: TestSshd;
let t: TestGatewayWithMysql;
const tokens: Record<string, string> = {};
let approver: string;
const dir = `/tmp/warden-guard-${process.pid}`;

beforeAll(async () => {
  sshd = await startTestSshd();
  t = await startTestGateway({ rules });
  for (const user of ['bob', 'carol', 'dave']) tokens[user] = await t.user(user);
  approver = await t.user('olga', ['ops']);
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  // World-writable, not sticky: the target user could remove the file, so only the gateway stops it.
  mkdirSync(dir, { mode: 0o777 });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.stop();
  await sshd?.stop();
});

const statements = (events: { type: string }[]) => events.filter((e): e is StatementEvent => e.type === 'statement');

test('a typed `rm -rf` is blocked at Enter (the file survives, the user is told), and the next line runs', async () => {
  const file = `${dir}/x`;
  writeFileSync(file, 'keep me', { mode: 0o666 });
  const term = await openTerminal(t.sshPort, 'bob@box', tokens.bob!);
  await term.waitFor(/\$ $/);
  let mark = term.output.length;
  term.type(`rm -rf ${file}\r`);
  // The refusal, then the shell's next prompt, as a person would wait for it: keys that reach bash
  // before it has handled the gateway's Ctrl-C are dropped with the cancelled line (seen once under load).
  await term.waitFor(/warden: blocked by policy rule "test:no-rm": rm is not allowed on this server[\s\S]*\$ $/, mark);
  mark = term.output.length;
  term.type('echo guard-$((40+2))\r');
  await term.waitFor(/guard-42/, mark);
  expect(existsSync(file)).toBe(true);
  // Edited lines are judged as the shell sees them: the blocked word was erased before Enter.
  mark = term.output.length;
  term.type(`rm ${file}\x17\x17echo edited-$((1+1))\r`);
  await term.waitFor(/edited-2/, mark);
  term.close();
  await term.exited;

  const { session, events } = await endedSession(t, 'bob', 'box');
  const typed = statements(events);
  expect(typed[0]).toMatchObject({ text: `rm -rf ${file}`, error: { code: 'blocked' }, verdict: { effect: 'block', rules: ['test:no-rm'] } });
  expect(typed[1]).toMatchObject({ text: 'echo guard-$((40+2))', commandTag: 'typed', verdict: { effect: 'allow' } });
  expect(typed[2]).toMatchObject({ text: 'echo edited-$((1+1))', commandTag: 'typed' });
  expect(existsSync(file)).toBe(true);
  expect(session.endReason).toBe('client_closed');
  // Replay shows what the user saw, the gateway's refusal included.
  const cast = readFileSync(join(t.dataDir, 'recordings', `${session.id}.cast`), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as [number, string, string]);
  expect(cast.filter(([, code]) => code === 'o').map(([, , d]) => d).join('')).toContain('warden: blocked by policy rule "test:no-rm"');
});

test('a line Warden cannot see (history recall) is judged on what is known and, by the shipped default, blocked', async () => {
  const term = await openTerminal(t.sshPort, 'bob@box', tokens.bob!);
  await term.waitFor(/\$ $/);
  term.type('echo one\r');
  await term.waitFor(/one\r\n.*\$ $/s);
  const mark = term.output.length;
  term.type('\x1b[A\r');
  await term.waitFor(/warden: blocked by policy rule "default:command-block-uncertain"/, mark);
  term.close();
  await term.exited;
  const { events } = await endedSession(t, 'bob', 'box');
  expect(statements(events).at(-1)).toMatchObject({ text: '', uncertain: 'history recall', error: { code: 'blocked' }, verdict: { rules: ['default:command-block-uncertain'] } });
});

test('shell: true + block: no shell, told why, but single commands still run', async () => {
  const term = await openTerminal(t.sshPort, 'carol@box', tokens.carol!);
  await term.waitFor(/carol runs commands, not shells/);
  expect(await term.exited).toBe(1);
  const { events } = await endedSession(t, 'carol', 'box');
  expect(statements(events)[0]).toMatchObject({ text: '(interactive shell)', error: { code: 'blocked' }, verdict: { rules: ['test:carol-exec-only'] } });
  const r = await sshExec(t.sshPort, 'carol@box', tokens.carol!, 'echo exec-ok');
  expect(r).toMatchObject({ code: 0, stdout: 'exec-ok\n' });
});

test('shell: true + review: the shell waits for an approver, then opens', async () => {
  const opening = openTerminal(t.sshPort, 'dave@box', tokens.dave!);
  let id: string | undefined;
  for (let i = 0; i < 400 && !id; i++) {
    const inbox = (await (await fetch(`${t.apiUrl}/api/v1/reviews/inbox`, { headers: { authorization: `Bearer ${approver}` } })).json()) as { id: string; requester: string; text?: string }[];
    id = inbox.find((r) => r.requester === 'dave')?.id;
    if (!id) await new Promise((r) => setTimeout(r, 50));
  }
  expect(id).toBeDefined();
  const term = await opening;
  await term.waitFor(new RegExp(`waiting for approval: review ${id}`));
  const approved = await fetch(`${t.apiUrl}/api/v1/reviews/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' }, body: '{}' });
  expect(approved.status).toBe(200);
  await term.waitFor(/\$ $/);
  term.type('echo approved-$((2+3))\r');
  await term.waitFor(/approved-5/);
  term.close();
  await term.exited;
});

test('keys sent while a full-screen program shows the alternate screen pass unjudged; judging resumes after it', async () => {
  const file = `${dir}/y`;
  writeFileSync(file, 'keep me', { mode: 0o666 });
  const term = await openTerminal(t.sshPort, 'bob@box', tokens.bob!);
  await term.waitFor(/\$ $/);
  // A stand-in for vim or less: switch to the alternate screen, read a line, switch back.
  term.type(`printf '\\033[?1049h'; read answer; printf '\\033[?1049l'; echo "got $answer"\r`);
  await term.waitFor(/\x1b\[\?1049h/);
  term.type('rm is just text here\r');
  await term.waitFor(/got rm is just text here/);
  const mark = term.output.length;
  term.type(`rm ${file}\r`);
  await term.waitFor(/warden: blocked by policy rule "test:no-rm"/, mark);
  term.close();
  await term.exited;
  expect(existsSync(file)).toBe(true);
  const { events } = await endedSession(t, 'bob', 'box');
  expect(statements(events).map((s) => s.text)).toEqual([`printf '\\033[?1049h'; read answer; printf '\\033[?1049l'; echo "got $answer"`, `rm ${file}`]);
  const notices = events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
  expect(notices.some((m) => m.startsWith('full-screen program started'))).toBe(true);
  expect(notices.some((m) => m.startsWith('full-screen program ended'))).toBe(true);
});
