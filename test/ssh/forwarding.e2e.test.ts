import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerSshKey } from '../../src/core/identity/ssh-keys.ts';
import type { ForwardEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { keyOptions, makeKey, noAgentEnv } from './key-client.ts';

// Port forwarding through the gateway with the real ssh client: `-L` reaches a destination
// from the target's side only when a policy rule names it, `-R` makes the target listen only
// on an address a `remote:` rule names; the rest is refused; all of it is recorded.
let sshd: TestSshd;
let t: TestGatewayWithMysql;
let key: Awaited<ReturnType<typeof makeKey>>;
let echo: Server;
let echoPort: number;
let other: Server;
let otherPort: number;
let otherConnections = 0;
let remotePort: number;
const children = new Set<ChildProcess>();

function listen(onSocket: (s: Socket) => void): Promise<[Server, number]> {
  const server = createServer(onSocket);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve([server, (server.address() as { port: number }).port])));
}

beforeAll(async () => {
  [[echo, echoPort], [other, otherPort]] = await Promise.all([
    listen((s) => s.pipe(s)),
    listen((s) => {
      otherConnections++;
      s.end('you should not see this');
    }),
  ]);
  remotePort = await freePort();
  [sshd, t, key] = await Promise.all([
    startTestSshd(),
    startTestGateway({
      rules: [
        { id: 'test:allow-all', effect: 'allow', match: {} },
        { id: 'test:echo-only', effect: 'allow', match: { users: ['alice'], forwards: [`127.0.0.1:${echoPort}`] } },
        { id: 'test:one-listener', effect: 'allow', match: { users: ['alice'], forwards: [`remote:localhost:${remotePort}`] } },
      ],
    }),
    makeKey(),
  ]);
  await t.user('alice');
  await registerSshKey(t.gw.core, (await t.gw.core.users.byName('alice'))!, key.pub);
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await t?.stop();
  await sshd?.stop();
  await new Promise((r) => echo?.close(r));
  await new Promise((r) => other?.close(r));
  if (key) rmSync(key.dir, { recursive: true, force: true });
});

/** `ssh -N <forward>` through the gateway as alice, with the registered key; stopped by `stop()`. */
function sshForward(forward: string[], extra: string[] = []) {
  const p = spawn('ssh', [...keyOptions(t.sshPort, key.file), '-N', ...extra, ...forward, 'alice@box@127.0.0.1'], { env: noAgentEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(p);
  let stderr = '';
  p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => (children.delete(p), resolve(code))));
  return {
    exited,
    stderr: () => stderr,
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Connects to the local end of a forward (waiting until something listens, up to `tries`), sends `data`,
 * returns what came back before close, or `refused` when nothing ever listened.
 */
async function through(port: number, data: string, tries = 200): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        let got = '';
        const s = connect({ host: '127.0.0.1', port }, () => s.write(data));
        s.once('error', reject);
        s.on('data', (b: Buffer) => {
          got += b.toString();
          if (got.length >= data.length) s.end();
        });
        s.once('close', () => resolve(got));
      });
    } catch (err) {
      if (i >= tries) {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'refused';
        throw err;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

const forwards = (events: { type: string }[]) => events.filter((e): e is ForwardEvent => e.type === 'forward');

describe('ssh port forwarding through the gateway', () => {
  test('-L to a destination a rule allows carries bytes both ways and is recorded', async () => {
    const local = await freePort();
    const ssh = sshForward(['-L', `${local}:127.0.0.1:${echoPort}`]);
    const payload = 'hello through the tunnel\n'.repeat(100);
    expect(await through(local, payload)).toBe(payload);
    await ssh.stop();
    const { events } = await endedSession(t, 'alice', 'box');
    const [f] = forwards(events);
    expect(f).toMatchObject({ kind: 'local', destination: `127.0.0.1:${echoPort}`, verdict: { effect: 'allow', rules: ['test:echo-only'] } });
    expect(f!.bytesFromClient).toBe(payload.length);
    expect(f!.bytesToClient).toBe(payload.length);
    expect(f!.error).toBeUndefined();
  });

  test('a tunnel still open when the client goes away is recorded with what it carried', async () => {
    const local = await freePort();
    const ssh = sshForward(['-L', `${local}:127.0.0.1:${echoPort}`]);
    let sock: Socket | undefined;
    for (let i = 0; i < 200 && !sock; i++) {
      sock = await new Promise<Socket | undefined>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: local }, () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (!sock) await new Promise((r) => setTimeout(r, 25));
    }
    const echoed = new Promise<string>((resolve) => sock!.once('data', (b: Buffer) => resolve(b.toString())));
    sock!.on('error', () => undefined);
    sock!.write('still open');
    expect(await echoed).toBe('still open');
    await ssh.stop();
    sock!.destroy();
    const { events } = await endedSession(t, 'alice', 'box');
    const [f] = forwards(events);
    expect(f).toMatchObject({ kind: 'local', destination: `127.0.0.1:${echoPort}`, bytesFromClient: 10, bytesToClient: 10 });
    expect(events.at(-1)).toMatchObject({ type: 'session_end' });
  });

  test('-L to a destination no rule names is refused before the target opens it, and recorded', async () => {
    const local = await freePort();
    const ssh = sshForward(['-L', `${local}:127.0.0.1:${otherPort}`]);
    expect(await through(local, 'anyone there?')).toBe('');
    await ssh.stop();
    expect(otherConnections).toBe(0);
    const { events } = await endedSession(t, 'alice', 'box');
    const [f] = forwards(events);
    expect(f).toMatchObject({ kind: 'local', destination: `127.0.0.1:${otherPort}`, bytesFromClient: 0, bytesToClient: 0, verdict: { effect: 'block', rules: ['default:uncovered'] }, error: { code: 'blocked' } });
  });

  test('-R on an address a `remote:` rule allows: the target listens, and bytes reach the client side and back; recorded', async () => {
    const ssh = sshForward(['-R', `${remotePort}:127.0.0.1:${echoPort}`], ['-o', 'ExitOnForwardFailure=yes']);
    // The target (the test's sshd) listens on its loopback; what connects there reaches the echo server beside the client.
    const payload = 'back through the reverse tunnel\n'.repeat(100);
    expect(await through(remotePort, payload)).toBe(payload);
    await ssh.stop();
    const { events } = await endedSession(t, 'alice', 'box');
    const remote = forwards(events).filter((f) => f.kind === 'remote');
    expect(remote).toHaveLength(2);
    expect(remote[0]).toMatchObject({ destination: `localhost:${remotePort}`, bytesFromClient: 0, bytesToClient: 0, verdict: { effect: 'allow', rules: ['test:one-listener'] } });
    expect(remote[0]!.error).toBeUndefined();
    expect(remote[1]).toMatchObject({ destination: `localhost:${remotePort}`, origin: expect.stringMatching(/^127\.0\.0\.1:\d+$/), bytesFromClient: payload.length, bytesToClient: payload.length, verdict: { effect: 'allow', rules: ['test:one-listener'] } });
    expect(remote[1]!.error).toBeUndefined();
  });

  test('-R on an address no `remote:` rule names is refused (ssh exits with ExitOnForwardFailure), the target never listens, and it is recorded', async () => {
    const port = await freePort();
    const ssh = sshForward(['-R', `${port}:127.0.0.1:${echoPort}`], ['-o', 'ExitOnForwardFailure=yes']);
    expect(await ssh.exited).toBe(255);
    expect(ssh.stderr()).toContain('remote port forwarding failed');
    expect(await through(port, 'anyone there?', 3)).toBe('refused');
    const { events } = await endedSession(t, 'alice', 'box');
    expect(forwards(events)).toEqual([expect.objectContaining({ kind: 'remote', destination: `localhost:${port}`, verdict: { effect: 'block', rules: ['default:uncovered'] }, error: expect.objectContaining({ code: 'blocked' }) })]);
  });

  test('agent forwarding (-A) is refused: the command runs without an agent on the target, and the refusal is recorded', async () => {
    const sock = join(key.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    children.add(agent);
    try {
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
      const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const p = spawn('ssh', [...keyOptions(t.sshPort, key.file), '-A', 'alice@box@127.0.0.1', 'echo "agent=${SSH_AUTH_SOCK:-none}"'], { env: { ...noAgentEnv(), SSH_AUTH_SOCK: sock }, stdio: ['ignore', 'pipe', 'ignore'] });
        let stdout = '';
        p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        p.once('close', (code) => resolve({ code, stdout }));
      });
      expect(r).toEqual({ code: 0, stdout: 'agent=none\n' });
      const { events } = await endedSession(t, 'alice', 'box');
      expect(forwards(events)).toEqual([expect.objectContaining({ kind: 'agent', error: expect.objectContaining({ code: 'blocked' }) })]);
    } finally {
      agent.kill('SIGTERM');
      children.delete(agent);
    }
  });
});
