import type { Socket } from 'node:net';
import type { Connection as SshConnection, PseudoTtyOptions, Session } from 'ssh2';
import { authorizeSession, type AuthorizedTarget } from '../../core/access/index.ts';
import { asWardenError } from '../../core/errors.ts';
import type { ListenerContext } from '../../core/protocol.ts';
import type { CoreServices } from '../../core/services.ts';
import { answerKeyQuery, offeredMethods, parseLoginName, presented } from './auth.ts';
import { openSessionRecord, type OpenSession } from './record.ts';
import { runExec } from './exec.ts';
import { ssh2 } from './ssh2.ts';
import { refuseAgentForward, serveForwards } from './forwarding.ts';
import type { TargetHostPins } from './host-pins.ts';
import { runShell, type ShellHandle } from './shell.ts';
import { runScp } from './scp.ts';
import { parseScpCommand } from './scp-protocol.ts';
import { runSftp } from './sftp-relay.ts';
import { openUpstream } from './upstream.ts';

export interface SshDeps {
  hostKey: string;
  pins: TargetHostPins;
}

/** Failed logins before the gateway hangs up (OpenSSH's MaxAuthTries is 6; a token is not guessed twice). */
const maxAuthFailures = 3;
const loginTimeoutMs = 30_000;

/**
 * One SSH client connection: ssh2's server side runs on the accepted socket;
 * login → authorizeSession → one recorded session whose channels (exec,
 * shell, SFTP, legacy scp) run on a single upstream connection to the
 * target; `-L` forwards are judged and relayed, `-R` and agent forwarding
 * refused (forwarding.ts). Other subsystems and X11 are refused. Resolves when the connection is gone and its recording
 * is closed; never rejects.
 */
export function runSession(socket: Socket, ctx: ListenerContext, core: CoreServices, deps: SshDeps): Promise<void> {
  const log = core.log.child({ protocol: 'ssh', client: ctx.clientAddress });
  return new Promise<void>((resolve) => {
    let target: AuthorizedTarget | undefined;
    let session: OpenSession | undefined;
    let failures = 0;
    let done = false;
    const finish = (reason: string) => {
      if (done) return;
      done = true;
      ctx.shutdown.removeEventListener('abort', onShutdown);
      void (session ? session.end(reason) : Promise.resolve()).finally(resolve);
    };
    let conn: SshConnection | undefined;
    // Before login there is nothing to say goodbye to: the socket just closes.
    const onShutdown = () => (session ? conn?.end() : socket.destroy());
    ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
    // A client that never finishes logging in does not hold a socket forever.
    const loginTimer = setTimeout(() => socket.destroy(), loginTimeoutMs);
    socket.once('close', () => {
      clearTimeout(loginTimer);
      finish(session?.endReason() ?? 'client_closed');
    });

    // One Server object per connection, never listening: it only runs the protocol on the socket the listener accepted.
    const server = new ssh2.Server({ hostKeys: [deps.hostKey], ident: 'Warden', algorithms: { cipher: [...core.config.ssh.clientCiphers] } }, (c) => {
      conn = c;
      c.on('error', (err: Error) => log.debug({ err: err.message }, 'ssh connection error'));
      c.on('authentication', (auth) => {
        void (async () => {
          const given = await presented(auth);
          if (given === undefined) return auth.reject([...offeredMethods]);
          // "May I sign with this key?" is answered without counting a failure: an agent may hold many keys.
          if (given.kind === 'key-query') return void answerKeyQuery(core, auth.username, given.key).then((ok) => (ok ? auth.accept() : auth.reject([...offeredMethods])));
          try {
            const login = parseLoginName(auth.username);
            const credentials = given.kind === 'token' ? { user: login.user, token: given.token } : { user: login.user, sshKey: given.proof };
            target = await authorizeSession(core, credentials, login.connection, 'ssh');
            auth.accept();
          } catch (err) {
            const e = asWardenError(err);
            log.info({ username: auth.username, kind: e.kind, reason: e.message }, 'login refused');
            core.metrics.errors.inc({ protocol: 'ssh', kind: e.kind });
            // fail closed: any error while authorizing is a refused login.
            if (++failures >= maxAuthFailures) return c.end();
            auth.reject([...offeredMethods]);
          }
        })();
      });
      c.on('ready', () => {
        clearTimeout(loginTimer);
        const t = target!;
        const upstream = openUpstream(t, deps.pins, core.config.upstreamConnectTimeoutMs, core.dialer);
        upstream.catch((err: unknown) => log.info({ connection: t.connection.name, reason: asWardenError(err).message }, 'target not reached'));
        session = openSessionRecord(core, ctx, t, upstream, () => c.end());
        upstream.then((u) => u.on('close', () => session?.targetClosed(() => c.end())), () => undefined);
        // A target that could not be reached (a host key mismatch included) is part of the record.
        upstream.catch((err: unknown) => session?.channels.record({ type: 'notice', at: core.clock.now().toISOString(), message: `target not reached: ${asWardenError(err).message}` }));
        c.on('session', (accept) => serveChannel(accept(), session!));
        // -L judged by policy and relayed; -R and the rest refused; all recorded (forwarding.ts).
        serveForwards(c, session.channels);
      });
      c.on('close', () => finish(session?.endReason() ?? 'client_closed'));
    });
    server.on('error', () => undefined);
    server.injectSocket(socket);
  });
}

/** One session channel: remembers its PTY, then runs one exec or shell; refuses the rest. */
function serveChannel(channel: Session, s: OpenSession): void {
  let pty: PseudoTtyOptions | undefined;
  let shell: ShellHandle | undefined;
  let started = false;
  channel.on('pty', (accept, _reject, info) => {
    pty = { rows: info.rows, cols: info.cols, width: info.width, height: info.height, term: info.term };
    accept?.();
  });
  channel.on('window-change', (accept, _reject, info) => {
    if (pty) pty = { ...pty, rows: info.rows, cols: info.cols };
    shell?.resize(info.cols, info.rows, info.width, info.height);
    accept?.();
  });
  // Environment variables are not forwarded (LD_PRELOAD and friends); accepted so clients do not complain.
  channel.on('env', (accept) => accept?.());
  channel.on('exec', (accept, reject, info) => {
    if (started) return reject?.();
    started = true;
    // Legacy scp (`scp -O`) is judged and recorded file by file, not as a command line.
    const scp = parseScpCommand(info.command);
    if (scp) return void runScp(accept(), scp, s.channels);
    void runExec(accept(), info.command, pty, s.channels);
  });
  channel.on('shell', (accept, reject) => {
    if (started) return reject?.();
    started = true;
    void runShell(accept(), pty, s.channels, s.castName(), (h) => (shell = h));
  });
  // The SFTP subsystem (sftp, scp's default mode), relayed packet by packet on a raw channel; other subsystems are refused.
  channel.on('subsystem', (accept, reject, info) => {
    if (started || info.name !== 'sftp') return reject?.();
    started = true;
    void runSftp(accept(), s.channels);
  });
  channel.on('auth-agent', (_accept: unknown, reject?: () => void) => {
    reject?.();
    refuseAgentForward(s.channels);
  });
  for (const refused of ['x11', 'signal']) {
    channel.on(refused, (_accept: unknown, reject?: () => void) => reject?.());
  }
}
