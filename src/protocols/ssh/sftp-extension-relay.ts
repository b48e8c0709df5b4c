import type { FileOp } from '../../core/policy/files.ts';
import type { ChannelContext } from './channel-context.ts';
import { decideFile, fileEvent, resolvePath, type FileOutcome } from './file-events.ts';
import type { ExtensionRequest } from './sftp-extensions.ts';
import type { OpenHandle, Pending } from './sftp-handles.ts';
import { FX, statusPacket } from './sftp-packets.ts';

/** What relaying an extension needs of the SFTP relay (sftp-relay.ts): its judging, its handles and its two directions. */
export interface ExtensionPort {
  /** The target's home directory, relative paths are resolved from (undefined: unknown). */
  home: string | undefined;
  /** Sends `out` (the request as it came when absent) to the target, expecting an answer of the kind `pending` says. */
  send(pending: Pending, out?: Buffer): void;
  /** Answers the client from the gateway. */
  answer(packet: Buffer): void;
  /** Judges `op` on `paths`, then runs `then` if it is allowed (a refusal is answered and recorded). */
  judged(id: number, op: FileOp, paths: (string | undefined)[], then: (o: FileOutcome) => void | Promise<void>): void;
  /** The open handle `raw` names; undefined (the client told) when the gateway did not see it opened. */
  handleOf(id: number, raw: Buffer): OpenHandle | undefined;
  /** The channel's session: policy and the recording. */
  c: ChannelContext;
}

/**
 * Relays one offered extension request (`x`, parsed by sftp-extensions.ts)
 * the way its kind says: judged like the core request it extends, unjudged
 * metadata, by a handle the gateway saw opened, or a copy between two.
 */
export function relayExtension(x: ExtensionRequest, id: number, packet: Buffer, port: ExtensionPort): void {
  switch (x.kind) {
    case 'judged':
      return port.judged(id, x.op, x.paths, async (o) => {
        if (x.alsoReadable !== undefined && !(await readable(port, id, o, o.paths[x.alsoReadable]!))) return;
        port.send({ kind: 'recorded', outcome: o }, x.packet(o.paths));
      });
    case 'metadata': {
      const abs = x.path === undefined ? undefined : resolvePath(port.home, x.path);
      // Unjudged, like STAT: the normalised path when there is one, as written otherwise.
      return port.send({ kind: 'plain' }, abs === undefined ? packet : x.packet(abs));
    }
    case 'handle':
      return void (port.handleOf(id, x.handle) && port.send({ kind: 'plain' }));
    case 'copy': {
      const from = port.handleOf(id, x.from);
      const to = from && port.handleOf(id, x.to);
      if (!from || !to) return;
      // fail closed: bytes are copied only out of a file judged a download into one judged an upload (each judged at its OPEN).
      if (!from.readable || !to.upload) return port.answer(statusPacket(id, FX.PERMISSION_DENIED, 'warden: copy-data reads a file opened to read and writes one opened to write'));
      // The copied bytes stay on the target: both files' events say the gateway did not see them all (no hash) rather than hash a part.
      from.outcome?.tally?.unseen();
      to.outcome?.tally?.unseen();
      return port.send({ kind: 'plain' });
    }
    case 'plain':
      return port.send({ kind: 'plain' });
  }
}

/**
 * Whether the file an allowed operation exposes under a new name (a hard
 * link) may also be downloaded: download rules judge a file by its name, so
 * a second name must not dodge them. On refusal the operation `o` is
 * answered and recorded as blocked by the download's verdict.
 */
async function readable(port: ExtensionPort, id: number, o: FileOutcome, path: string): Promise<boolean> {
  const d = await decideFile(port.c, 'download', [path]);
  if (d.refused === undefined) return true;
  port.answer(statusPacket(id, FX.PERMISSION_DENIED, `warden: ${d.refused}`));
  port.c.record(fileEvent({ ...o, verdict: d.verdict, error: { code: 'blocked', message: d.refused } }));
  return false;
}
