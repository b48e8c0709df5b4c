import type { Channel, Client } from 'ssh2';
import { encodePacket, FXP, PacketReader } from './sftp-packets.ts';
import { fallbackLimits, limitsExtension, limitsFromReply, type SftpLimits } from './sftp-limits.ts';

/**
 * How the gateway learns about both ends of an SFTP relay before relaying:
 * the target's subsystem is opened by the gateway itself (the client's INIT
 * is answered by the gateway, `versionPacketFor`), and each side's SYMLINK
 * dialect is read from its SSH identification.
 */

/** What the relay needs from the target's opening. */
export interface TargetGreeting {
  /** The target's stated limits, capped for the gateway's client; `fallbackLimits` when it states none. */
  limits: SftpLimits;
  /** The login's home directory, for relative paths; undefined when the target did not say. */
  home: string | undefined;
  /** The extensions the target's VERSION offered: name → revision (its data string). */
  extensions: Map<string, string>;
}

/**
 * INIT (version 3), `limits@openssh.com` when the target offers it, and
 * REALPATH `.` for the home directory; the target's other extensions are
 * noted for the gateway's own VERSION (sftp-extensions.ts). `ask` writes
 * one packet and resolves with the target's next whole answer.
 * Throws when the target does not speak version 3, or (WardenError
 * bad_request) when an answer is truncated.
 */
export async function greetTarget(ask: (packet: Buffer) => Promise<Buffer>): Promise<TargetGreeting> {
  const version = await ask(encodePacket(FXP.INIT, [3]));
  const v = new PacketReader(version);
  if (version[4] !== FXP.VERSION || v.u32() < 3) throw new Error('the target does not speak SFTP version 3');
  const extensions = new Map<string, string>();
  while (!v.done) extensions.set(v.bytes().toString(), v.bytes().toString());
  let limits = fallbackLimits;
  if (extensions.get(limitsExtension) === '1') {
    const reply = await ask(encodePacket(FXP.EXTENDED, [1, limitsExtension]));
    if (reply[4] === FXP.EXTENDED_REPLY) limits = limitsFromReply(reply);
  }
  // fail closed: without a home directory relative paths are refused, absolute ones still work.
  let home: string | undefined;
  const name = await ask(encodePacket(FXP.REALPATH, [2, '.']));
  if (name[4] === FXP.NAME) {
    const r = new PacketReader(name);
    r.u32();
    if (r.u32() >= 1) home = r.text();
  }
  return { limits, home, extensions };
}

const openssh = /^SSH-2\.0-(?:OpenSSH|dropbear)/;

/** Whether the other side of a connection speaks OpenSSH's SFTP dialect (SYMLINK's paths swapped), from its SSH identification. */
export function speaksOpenSSH(x: Channel | Client): boolean {
  return openssh.test(identOf(x));
}

/** The SSH identification string the other side of a connection sent (ssh2 internals: one field). */
function identOf(x: Channel | Client): string {
  const proto = ((x as unknown as { _client?: unknown })._client ?? x) as { _protocol?: { _remoteIdentRaw?: Buffer | string } };
  return proto._protocol?._remoteIdentRaw?.toString() ?? '';
}
