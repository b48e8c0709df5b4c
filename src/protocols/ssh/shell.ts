import type { ClientChannel, PseudoTtyOptions, ServerChannel } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import { AsciicastWriter } from './asciicast.ts';
import type { ChannelContext } from './channel-context.ts';
import { exitStatusGateway, stderrLine } from './errors.ts';
import { relay } from './exec.ts';

/**
 * An interactive shell: the target's shell on the client's PTY, relayed
 * byte for byte and recorded as asciicast v2 next to the session's event
 * recording. Typed-command guardrails are not here yet: opening a shell is
 * governed by the session's `connect` policy only.
 */
export interface ShellHandle {
  resize(cols: number, rows: number, width: number, height: number): void;
}

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
  const outcome = await relay(channel, stream, c, (b) => cast.output(b), (b) => cast.input(b));
  await cast.close();
  const end = 'code' in outcome.exit ? `exit ${outcome.exit.code}` : 'signal' in outcome.exit ? `signal ${outcome.exit.signal}` : 'ended';
  c.record({ type: 'notice', at: c.clock.now().toISOString(), message: `interactive shell ended: ${end}` });
}
