import { encodePacket, FXP, PacketReader } from './sftp-packets.ts';

/**
 * SFTP `limits@openssh.com`, the one extension the gateway answers itself
 * (those it relays: sftp-extensions.ts), offered to every client: without
 * it OpenSSH's sftp and scp read and write 32 KiB per request; with it they
 * use what the server states (OpenSSH's sftp-server: about 255 KiB) and
 * learn the target's open-handle limit. The gateway asks the target itself
 * and states the target's limits to the client, capped (`relayChunk`,
 * `maxClientPacket`).
 * @see https://github.com/openssh/openssh-portable/blob/master/PROTOCOL
 *   ("sftp: Extension request limits@openssh.com")
 */

/** What a server states in its EXTENDED_REPLY; 0 means "no limit stated". */
export interface SftpLimits {
  maxPacketLength: number;
  maxReadLength: number;
  maxWriteLength: number;
  maxOpenHandles: number;
}

export const limitsExtension = 'limits@openssh.com';

/** The longest packet the gateway takes from a client (OpenSSH's own bound, SFTP_MAX_MSG_LENGTH). */
export const maxClientPacket = 256 * 1024;
/**
 * The most one READ or WRITE may carry through the gateway: OpenSSH
 * sftp-server's own length (SFTP_MAX_READ_LENGTH), so an OpenSSH target's
 * limits pass unchanged and a client sends as few requests as it would
 * directly. READ answers and WRITE payloads stream through (sftp-relay.ts),
 * so a long one is never held whole; 64 KiB cost more gateway CPU per byte
 * (4× the requests and DATA heads), measured in docs/performance.md (SSH).
 */
export const relayChunk = 255 * 1024;
/** A target that states no limits: what every SFTP server must accept (draft-ietf-secsh-filexfer: 32768-byte reads and writes). */
export const fallbackLimits: SftpLimits = { maxPacketLength: 34000, maxReadLength: 32 * 1024, maxWriteLength: 32 * 1024, maxOpenHandles: 0 };

/** The target's EXTENDED_REPLY to limits@openssh.com (four uint64s after the id), capped for the gateway's client. */
export function limitsFromReply(packet: Buffer): SftpLimits {
  const r = new PacketReader(packet);
  r.u32();
  const [packetLength, read, write, handles] = [r.u64(), r.u64(), r.u64(), r.u64()];
  const cap = (n: number, max: number, dflt: number) => (n > 0 ? Math.min(n, max) : dflt);
  return {
    maxPacketLength: cap(packetLength, maxClientPacket, fallbackLimits.maxPacketLength),
    maxReadLength: cap(read, relayChunk, fallbackLimits.maxReadLength),
    maxWriteLength: cap(write, relayChunk, fallbackLimits.maxWriteLength),
    maxOpenHandles: handles,
  };
}

/** The gateway's answer to limits@openssh.com: SSH_FXP_EXTENDED_REPLY with four uint64s. */
export function limitsReply(id: number, l: SftpLimits): Buffer {
  return encodePacket(FXP.EXTENDED_REPLY, [id, ...[l.maxPacketLength, l.maxReadLength, l.maxWriteLength, l.maxOpenHandles].map((u64) => ({ u64 }))]);
}
