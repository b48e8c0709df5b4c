import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { allowAll } from '../../src/core/policy/types.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { openTerminal, type Terminal } from './terminal.ts';

// Two targets: `box` stays up for the whole file and carries a session through every
// failure; `fragile` is the target a test kills.
let sshd: TestSshd;
let fragile: TestSshd;
let t: TestGatewayWithMysql;
const tokens: Record<string, string> = {};
let bystander: Terminal;
// Short so that the last test can idle past it cheaply, but a login to the live target (key
// exchange, auth) must finish within it even on a loaded machine: 1 s timed out under load.
const connectTimeoutMs = 4_000;

beforeAll(async () => {
  [sshd, fragile] = await Promise.all([startTestSshd(), startTestSshd()]);
  // A short login deadline for the targets: sessions must outlive it (it once ended every session after it).
  t = await startTestGateway({ policy: allowAll, config: { upstreamConnectTimeoutMs: connectTimeoutMs } });
  for (const u of ['bob', 'eve', 'zoe', 'tim']) tokens[u] = await t.user(u);
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  await t.connection('fragile', { type: 'ssh', host: '127.0.0.1', port: fragile.port, username: fragile.user, password: fragile.password });
  bystander = await openTerminal(t.sshPort, 'bob@box', tokens.bob!);
  await bystander.waitFor(/\$ $/);
});
afterAll(async () => {
  bystander?.close();
  await t?.stop();
  await Promise.all([sshd?.stop(), fragile?.stop()]);
});

/** Every process below `pid` (sshd's per-connection monitor and the user's session process under it). */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when there is no such process: no children.
  }
  const children = out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** The other session still runs commands. */
async function bystanderStillWorks(tag: string): Promise<void> {
  const mark = bystander.output.length;
  bystander.type(`echo ${tag}-$((1+1))\r`);
  await bystander.waitFor(new RegExp(`${tag}-2`), mark);
}

/** Waits (bounded) for the newest session of `user` to end; returns its stored row. */
async function ended(user: string) {
  for (let i = 0; i < 600; i++) {
    const [s] = await t.gw.core.sessions.list({ userName: user, limit: 1 });
    if (s?.endedAt) {
      const events = [];
      for await (const e of t.gw.core.recordings.read(s.id)) events.push(e);
      return { session: s, events };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ended session for ${user}`);
}

test('garbage instead of an SSH banner: the gateway sends its own banner and hangs up, no session is opened', async () => {
  const sock = connect({ host: '127.0.0.1', port: t.sshPort });
  let received = '';
  sock.on('data', (b: Buffer) => (received += b.toString('latin1')));
  sock.on('error', () => undefined);
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(70_000, 0xff)]));
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  expect(received).toMatch(/^SSH-2\.0-Warden/);
  expect(await t.gw.core.sessions.list({ limit: 50 })).toHaveLength(1);
  await bystanderStillWorks('after-garbage');
});

test('a client that vanishes mid-shell ends its own session as client_closed', async () => {
  const eve = await openTerminal(t.sshPort, 'eve@box', tokens.eve!);
  await eve.waitFor(/\$ $/);
  eve.type('sleep 300');
  eve.destroy();
  const { session, events } = await ended('eve');
  expect(session.endReason).toBe('client_closed');
  expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'client_closed' });
  await bystanderStillWorks('after-vanish');
});

test('the target sshd dropping mid-session ends that session as target_closed', async () => {
  const zoe = await openTerminal(t.sshPort, 'zoe@fragile', tokens.zoe!);
  await zoe.waitFor(/\$ $/);
  // SIGKILL the listening sshd and every child serving a connection: the target is gone, not shut down politely.
  for (const pid of [fragile.pid, ...descendants(fragile.pid)]) process.kill(pid, 'SIGKILL');
  await zoe.exited;
  const { session, events } = await ended('zoe');
  expect(session.endReason).toBe('target_closed');
  expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'target_closed' });
  await bystanderStillWorks('after-target-drop');
});

test('a login to a target that is down fails that login only, with a clear message', async () => {
  const tim = await openTerminal(t.sshPort, 'tim@fragile', tokens.tim!);
  await tim.waitFor(/cannot reach the target of connection "fragile"/);
  expect(await tim.exited).toBe(255);
  const { session } = await ended('tim');
  expect(session.endedAt).not.toBeNull();
  await bystanderStillWorks('after-down-target');
});

test('a session outlives the deadline for reaching its target', async () => {
  const amy = await openTerminal(t.sshPort, 'bob@box', tokens.bob!);
  await amy.waitFor(/\$ $/);
  // Idle past the deadline (a timer in the gateway, not a measurement), then use the shell.
  await new Promise((r) => setTimeout(r, connectTimeoutMs * 2));
  const mark = amy.output.length;
  amy.type('echo still-$((3*3))\r');
  await amy.waitFor(/still-9/, mark);
  amy.close();
  await amy.exited;
});
