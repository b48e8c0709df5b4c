import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import { AsciicastWriter } from './asciicast.ts';
import type { ChannelContext } from './channel-context.ts';
import { exitStatusBlocked, exitStatusGateway, stderrLine } from './errors.ts';
import { execEvent, typedEvent } from './events.ts';
import { blockMessage, relay } from './exec.ts';
import { ShellGuard, type LineJudge } from './shell-guard.ts';

/**
 * An interactive shell: opening it is judged first (`shell: true` rules:
 * allow, review — held or queued like an exec — or block, i.e. exec only);
 * then the target's shell runs on the client's PTY, relayed and recorded as
 * asciicast v2 next to the session's event recording, with each typed line
 * judged at Enter by the same command policy as exec (see shell-guard.ts).
 */
export interface ShellHandle {
  resize(cols: number, rows: number, width: number, height: number): void;
}

/** How an interactive shell shows in the event recording (a shell open is judged like a command). */
const shellText = '(interactive shell)';

export async function runShell(channel: ServerChannel, pty: PseudoTtyOptions | undefined, c: ChannelContext, castName: string, onOpen: (h: ShellHandle) => void): Promise<void> {
  // The handle exists before the target's shell does: a resize sent while it opens is applied once it is open.
  let open: { stream: ClientChannel; cast: AsciicastWriter } | undefined;
  let pending: [cols: number, rows: number, width: number, height: number] | undefined;
  const resize = (cols: number, rows: number, width: number, height: number) => {
    if (!open) return void (pending = [cols, rows, width, height]);
    open.stream.setWindow(rows, cols, height, width);
    open.cast.resize(cols, rows);
  };
  onOpen({ resize });
  if (!(await shellAllowed(channel, c))) return;
  let stream: ClientChannel;
  try {
    const upstream = await c.upstream;
    stream = await new Promise<ClientChannel>((resolve, reject) => upstream.shell(pty ?? false, (err, s) => (err ? reject(err) : resolve(s))));
  } catch (err) {
    channel.stderr.write(stderrLine(asWardenError(err)));
    channel.exit(exitStatusGateway);
    channel.end();
    return;
  }
  const cast = new AsciicastWriter(c.recordingDir, castName, c.clock, { width: pty?.cols ?? 80, height: pty?.rows ?? 24, term: pty?.term ?? 'vt100' });
  c.record({ type: 'notice', at: c.clock.now().toISOString(), message: `interactive shell recorded as ${cast.path}` });
  open = { stream, cast };
  if (pending) resize(...pending);
  const guard = new ShellGuard({
    toTarget: (b) => stream.write(b),
    drained: () => new Promise<void>((resolve) => stream.once('drain', () => resolve())),
    endTarget: () => stream.end(),
    toUser: (text) => {
      const b = Buffer.from(text);
      channel.write(b);
      cast.output(b);
      c.bytes(0, b.length);
    },
    judge: judgeLines(channel, c),
    pauseClient: () => channel.pause(),
    resumeClient: () => channel.resume(),
    onFullScreen: (on) =>
      c.record({ type: 'notice', at: c.clock.now().toISOString(), message: on ? 'full-screen program started: typed keys are not judged until it ends' : 'full-screen program ended: typed lines are judged again' }),
  });
  const outcome = await relay(channel, stream, c, {
    onOutput: (b) => {
      cast.output(b);
      guard.output(b);
    },
    onInput: (b) => cast.input(b),
    input: (b) => guard.input(b),
    inputEnd: () => guard.end(),
  });
  await cast.close();
  const end = 'code' in outcome.exit ? `exit ${outcome.exit.code}` : 'signal' in outcome.exit ? `signal ${outcome.exit.signal}` : 'ended';
  c.record({ type: 'notice', at: c.clock.now().toISOString(), message: `interactive shell ended: ${end}` });
}

/** Policy on opening the shell; a refusal is told on stderr and recorded. */
async function shellAllowed(channel: ServerChannel, c: ChannelContext): Promise<boolean> {
  const at = c.clock.now();
  const seq = c.nextSeq();
  const gone = new AbortController();
  const onClose = () => gone.abort();
  channel.once('close', onClose);
  const verdict = await c.decide({ kind: 'shell' }, { notify: (m) => channel.stderr.write(`warden: ${m}\r\n`), cancel: gone.signal });
  channel.removeListener('close', onClose);
  if (verdict.effect === 'allow') return true;
  const message = blockMessage(verdict);
  // fail closed: no shell is opened on the target.
  channel.stderr.write(stderrLine({ message: `${message} (commands may still be run one at a time: ssh <host> '<command>')` }));
  channel.exit(exitStatusBlocked);
  channel.end();
  c.record(execEvent({ at, seq, command: shellText, verdict, durationMs: 0, exit: { blocked: message }, stdoutBytes: 0, stderrBytes: 0 }));
  return false;
}

/** Each typed line: the command policy (reviews included), recorded either way. */
function judgeLines(channel: ServerChannel, c: ChannelContext): LineJudge {
  return async (line, uncertain, cancel) => {
    const at = c.clock.now();
    const seq = c.nextSeq();
    const notify = (m: string) => {
      channel.write(`\r\nwarden: ${m}\r\n`);
    };
    const verdict = await c.decide({ kind: 'command', line, interactive: true, ...(uncertain === undefined ? {} : { uncertain }) }, { notify, cancel });
    const blocked = verdict.effect === 'allow' ? undefined : blockMessage(verdict);
    c.record(typedEvent({ at, seq, line, verdict, uncertain, blocked }));
    return blocked === undefined ? { allowed: true } : { allowed: false, message: blocked };
  };
}
