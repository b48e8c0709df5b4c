import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { ChannelContext } from './channel-context.ts';
import { exitStatusBlocked, exitStatusGateway, stderrLine } from './errors.ts';
import { execEvent, type ExecOutcome } from './events.ts';

/**
 * One `ssh host 'cmd'`: policy on the command line, then the command runs on
 * the target with stdin, stdout, stderr and the exit status relayed, and one
 * event recorded. A command that needs review waits for it (hold, told on
 * stderr) or is refused with the review id (queue); a mask verdict cannot be
 * honoured on a byte stream, so it stops the command.
 */
export async function runExec(channel: ServerChannel, command: string, pty: PseudoTtyOptions | undefined, c: ChannelContext): Promise<void> {
  const startedAt = c.clock.now();
  const t0 = performance.now();
  const seq = c.nextSeq();
  // A client that goes away (Ctrl-C closes the channel) gives up a held command and its review.
  const gone = new AbortController();
  channel.once('close', () => gone.abort());
  const verdict = await c.decide({ kind: 'command', line: command, interactive: false }, { notify: (m) => channel.stderr.write(`warden: ${m}\n`), cancel: gone.signal });
  const finish = (exit: ExecOutcome['exit'], stdoutBytes = 0, stderrBytes = 0) =>
    c.record(execEvent({ at: startedAt, seq, command, verdict, durationMs: Math.round((performance.now() - t0) * 1000) / 1000, exit, stdoutBytes, stderrBytes }));

  if (verdict.effect !== 'allow') {
    const message = blockMessage(verdict);
    // fail closed: the command never reaches the target.
    closeWith(channel, stderrLine({ message }), exitStatusBlocked);
    finish({ blocked: message });
    return;
  }
  let stream: ClientChannel;
  try {
    const upstream = await c.upstream;
    stream = await new Promise<ClientChannel>((resolve, reject) =>
      upstream.exec(command, pty ? { pty } : {}, (err, s) => (err ? reject(err) : resolve(s))),
    );
  } catch (err) {
    const e = asWardenError(err);
    closeWith(channel, stderrLine(e), exitStatusGateway);
    finish({ error: e.message });
    return;
  }
  const counts = await relay(channel, stream, c);
  finish(counts.exit, counts.stdout, counts.stderr);
}

export function blockMessage(verdict: Exclude<Verdict, { effect: 'allow' }>): string {
  if (verdict.effect === 'block' || verdict.effect === 'review') {
    return verdict.message;
  }
  return 'the policy asks to mask the output of this command, which Warden cannot do on a terminal stream, so it is blocked';
}

function closeWith(channel: ServerChannel, stderr: string, status: number): void {
  channel.stderr.write(stderr);
  channel.exit(status);
  channel.end();
}

/**
 * Relays both ways with backpressure (pipe) until the target closes the
 * channel, then ends the client's. The exit status (or signal) is passed on
 * as soon as the target reports it, whatever order ssh2 emits `exit` and
 * `close` in: OpenSSH sends EOF, exit-status, then CLOSE, but the status is
 * also read from `close`'s arguments, so a status that arrives is never lost
 * and is always sent before the client's channel is ended (a client that sees
 * CLOSE without one reports 255). `input` replaces the plain client→target
 * pipe when the caller filters typed input (the shell guard).
 */
export function relay(
  channel: ServerChannel,
  stream: ClientChannel,
  c: ChannelContext,
  hooks: { onOutput?(b: Buffer): void; onInput?(b: Buffer): void; input?(b: Buffer): void; inputEnd?(): void } = {},
): Promise<{ exit: ExecOutcome['exit']; stdout: number; stderr: number }> {
  let stdout = 0;
  let stderr = 0;
  let exit: ExecOutcome['exit'] = { error: 'the target closed the channel without an exit status' };
  let passed = false;
  const passOn = (code: number | null | undefined, signal: string | undefined) => {
    if (passed) return;
    if (typeof code === 'number') exit = { code };
    else if (signal) exit = { signal: signal.replace(/^SIG/, '') };
    else return;
    passed = true;
    if ('code' in exit) channel.exit(exit.code);
    else if ('signal' in exit) channel.exit(exit.signal, false, '');
  };
  stream.on('data', (b: Buffer) => {
    stdout += b.length;
    c.bytes(0, b.length);
    hooks.onOutput?.(b);
  });
  stream.stderr.on('data', (b: Buffer) => {
    stderr += b.length;
    c.bytes(0, b.length);
  });
  channel.on('data', (b: Buffer) => {
    c.bytes(b.length, 0);
    hooks.onInput?.(b);
    hooks.input?.(b);
  });
  stream.pipe(channel, { end: false });
  stream.stderr.pipe(channel.stderr, { end: false });
  if (hooks.input === undefined) channel.pipe(stream);
  else channel.on('end', () => (hooks.inputEnd ? hooks.inputEnd() : stream.end()));
  stream.on('exit', (code: number | null, signal?: string) => passOn(code, signal));
  // A client that goes away takes its command with it.
  channel.on('close', () => stream.close());
  channel.on('error', () => undefined);
  stream.on('error', () => undefined);
  return new Promise((resolve) => {
    stream.once('close', (code?: number | null, signal?: string) => {
      passOn(code, signal);
      channel.end();
      resolve({ exit, stdout, stderr });
    });
  });
}
