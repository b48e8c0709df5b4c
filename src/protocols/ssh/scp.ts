import { posix } from 'node:path';
import type { Client, ClientChannel, ServerChannel, SFTPWrapper } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import type { FileOp } from '../../core/policy/files.ts';
import type { ChannelContext } from './channel-context.ts';
import { beginFile, decideFile, fileEvent, resolvePath, TransferTally, type FileOutcome } from './file-events.ts';
import { parseControl, ScpFramer, scpTargetCommand, type ScpCommand } from './scp-protocol.ts';

/**
 * Legacy scp (`scp -O`): the client's `scp -t`/`scp -f` runs on the target
 * with the path Warden judged (absolute, quoted), and the sending side's
 * stream is parsed as it is relayed — the client's when uploading, the
 * target's when downloading. Each file (C line) and directory (D line) is
 * judged on its full path before it passes; a refused one is answered with
 * the scp error byte and the policy's message, so both ends skip it and go
 * on. File bytes are hashed as they pass and recorded at their status byte.
 */
export async function runScp(channel: ServerChannel, cmd: ScpCommand, c: ChannelContext): Promise<void> {
  channel.on('error', () => undefined);
  let client: Client;
  try {
    client = await c.upstream;
  } catch (err) {
    return refuse(channel, asWardenError(err).message);
  }
  const probe = await probeTarget(client, cmd);
  const base = cmd.path.home ? (probe.home === undefined ? undefined : posix.join(probe.home, cmd.path.rest)) : resolvePath(probe.home, cmd.path.rest);
  // fail closed: a path that cannot be placed cannot be judged.
  if (base === undefined) return refuse(channel, 'this path cannot be resolved on the target, so it is refused');
  // fail closed: an upload whose files could land in the path or inside it cannot be judged.
  if (cmd.mode === 'sink' && probe.isDir === undefined) return refuse(channel, 'the target cannot say whether this path is a directory, so the upload is refused');
  const path = resolvePath(undefined, base)!;
  let stream: ClientChannel;
  try {
    stream = await new Promise<ClientChannel>((resolve, reject) => client.exec(scpTargetCommand(cmd, path), (err, s) => (err ? reject(err) : resolve(s))));
  } catch (err) {
    return refuse(channel, asWardenError(err).message);
  }
  stream.on('error', () => undefined);
  const exit = watchExit(stream, channel);
  stream.stderr.pipe(channel.stderr, { end: false });

  const upload = cmd.mode === 'sink';
  // Upload: the client sends, the target answers. Download: the other way round.
  const [sender, receiver] = upload ? [channel, stream] : [stream, channel];
  const answers = upload ? stream : channel;
  answers.on('data', (b: Buffer) => (upload ? c.bytes(0, b.length) : c.bytes(b.length, 0)));
  answers.pipe(upload ? channel : stream, { end: !upload });

  /** Directories entered so far (D lines); the top level is the path itself or, for an upload into a directory, inside it. */
  const dirs: string[] = [];
  let current: FileOutcome | undefined;
  const pathOf = (name: string): string | undefined => {
    if (name === '.' || name === '..' || name.includes('\0')) return undefined;
    if (dirs.length > 0) return `${dirs.at(-1)!}/${name}`;
    if (!upload) return path;
    return probe.isDir || cmd.dirTarget ? posix.join(path, name) : path;
  };
  const cut = (why: string) => {
    if (current) c.record(fileEvent({ ...current, error: { code: 'interrupted', message: why } }));
    current = undefined;
  };
  const onEnded = () => cut('the session ended before the file was complete');
  c.ended.addEventListener('abort', onEnded, { once: true });
  channel.on('close', () => {
    cut('the client went away before the file was complete');
    stream.close();
  });

  /** Refuses one file or directory: the sender skips it; a receiving client is told why and goes on. */
  const refuseOne = async (message: string) => {
    const line = Buffer.from(`\x01warden: ${message.replaceAll('\n', ' ')}\n`);
    if (upload) return write(channel, line);
    await write(stream, line);
    await write(channel, line);
  };
  const judge = async (op: FileOp, name: string): Promise<FileOutcome | undefined> => {
    const p = pathOf(name);
    if (p === undefined) return void (await refuseOne(`the name "${name}" is not allowed`));
    const d = await decideFile(c, op, [p]);
    const o = beginFile(c, 'scp', op, [p], d.verdict);
    if (d.refused === undefined) return o;
    c.record(fileEvent({ ...o, error: { code: 'blocked', message: d.refused } }));
    await refuseOne(d.refused);
    return undefined;
  };

  const framer = new ScpFramer();
  try {
    // Not destroyed when the loop ends: the channel still has to carry the exit status.
    for await (const chunk of sender.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      upload ? c.bytes(chunk.length, 0) : c.bytes(0, chunk.length);
      framer.push(chunk);
      for (let item = framer.next(); item !== undefined; item = framer.next()) {
        if (item.kind === 'data') {
          current?.tally?.pass(current.tally.bytes, item.bytes);
          await write(receiver, item.bytes);
          continue;
        }
        if (item.kind === 'file-end') {
          await write(receiver, item.raw);
          if (current) c.record(fileEvent(item.ok ? current : { ...current, error: { code: 'sender', message: item.raw.subarray(1).toString('utf8').trim() } }));
          current = undefined;
          continue;
        }
        const control = parseControl(item.text);
        // fail closed: a stream that is not the scp protocol is not relayed further.
        if (control === undefined) throw new Error(`unexpected scp control line ${JSON.stringify(item.text.slice(0, 80))}`);
        if (control.kind === 'file') {
          const o = await judge(upload ? 'upload' : 'download', control.name);
          if (!o) continue;
          current = { ...o, tally: new TransferTally() };
          framer.expectData(control.size);
        } else if (control.kind === 'dir') {
          const o = await judge(upload ? 'mkdir' : 'list', control.name);
          if (!o) continue;
          c.record(fileEvent(o));
          dirs.push(o.paths[0]!);
        } else if (control.kind === 'end-dir') dirs.pop();
        await write(receiver, item.raw);
      }
    }
    if (upload) stream.end();
  } catch (err) {
    c.record({ type: 'notice', at: c.clock.now().toISOString(), message: `scp: ${(err as Error).message}; the transfer was stopped` });
    cut('the transfer was stopped');
    channel.stderr.write(`warden: the scp stream could not be followed, so it was stopped\r\n`);
    stream.close();
  }
  await exit.pass();
  c.ended.removeEventListener('abort', onEnded);
}

/**
 * The target's exit status and close, listened to from the start (the
 * target may be gone before the relay has caught up): `pass` sends the
 * status to the client and ends its channel.
 */
function watchExit(stream: ClientChannel, channel: ServerChannel): { pass(): Promise<void> } {
  let exit: { code: number } | { signal: string } | undefined;
  const note = (code?: number | null, signal?: string) => {
    if (exit) return;
    if (typeof code === 'number') exit = { code };
    else if (signal) exit = { signal: signal.replace(/^SIG/, '') };
  };
  stream.on('exit', note);
  const closed = new Promise<void>((resolve) =>
    stream.once('close', (code?: number | null, signal?: string) => {
      note(code, signal);
      resolve();
    }),
  );
  return {
    pass: async () => {
      await closed;
      if (exit && 'code' in exit) channel.exit(exit.code);
      else if (exit) channel.exit(exit.signal, false, '');
      channel.end();
    },
  };
}

/** Writes with backpressure; a closed destination does not hang the relay. */
async function write(dst: NodeJS.WritableStream & { destroyed?: boolean; writable?: boolean }, b: Buffer): Promise<void> {
  if (dst.writable === false) return;
  if (dst.write(b)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      dst.removeListener('drain', done);
      dst.removeListener('close', done);
      resolve();
    };
    dst.once('drain', done);
    dst.once('close', done);
  });
}

/** A whole scp refused before it starts: the fatal error byte (the client prints the message and stops), exit status 1. */
function refuse(channel: ServerChannel, message: string): void {
  channel.write(`\x02warden: ${message.replaceAll('\n', ' ')}\n`);
  channel.exit(1);
  channel.end();
}

/**
 * What the target says about the path before the transfer, through its SFTP
 * subsystem on the session's connection: the home directory (for `~` and
 * relative paths) and, for an upload, whether the path is a directory (the
 * files then go inside it). Either is undefined when the target cannot say:
 * relative paths are then refused, and an upload path is taken as a file.
 */
async function probeTarget(client: Client, cmd: ScpCommand): Promise<{ home?: string; isDir?: boolean }> {
  let sftp: SFTPWrapper;
  try {
    sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
  } catch {
    return {};
  }
  sftp.on('error', () => undefined);
  try {
    const home = await new Promise<string | undefined>((resolve) => sftp.realpath('.', (err, abs) => resolve(err ? undefined : abs)));
    if (cmd.mode !== 'sink') return { home };
    const full = cmd.path.home ? (home === undefined ? undefined : posix.join(home, cmd.path.rest)) : resolvePath(home, cmd.path.rest);
    if (full === undefined) return { home };
    const isDir = await new Promise<boolean>((resolve) => sftp.stat(full, (err, st) => resolve(!err && st.isDirectory())));
    return { home, isDir };
  } finally {
    sftp.end();
  }
}
