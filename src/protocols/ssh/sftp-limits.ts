import type { SFTPWrapper } from 'ssh2';

/**
 * SFTP `limits@openssh.com` on ssh2's SFTP server, which offers no
 * extensions and has no hook for them: without it OpenSSH's sftp and scp
 * read and write 32 KiB per request; with it they use what the server
 * states (OpenSSH's sftp-server: about 255 KiB; this gateway: at most
 * `relayChunk`) and learn the target's open-handle limit.
 * @see https://github.com/openssh/openssh-portable/blob/master/PROTOCOL
 *   ("sftp: Extension request limits@openssh.com")
 *
 * Two pieces of ssh2 (1.17) internals are used, kept to this file:
 * - the VERSION reply is a fixed 9-byte packet sent while the client's INIT
 *   is parsed; during that push only, the channel's `_protocol` is swapped
 *   for a view whose channelData sends the same VERSION with the extension
 *   appended (and charges the extra bytes to the channel's window);
 * - the EXTENDED_REPLY has no sender, so it is written like ssh2 writes its
 *   own packets: directly when the window allows, else queued behind
 *   ssh2's backlog on the channel (`_buffer`), which ssh2 drains in order.
 */

/** What a server states in its EXTENDED_REPLY; 0 means "no limit stated". */
export interface SftpLimits {
  maxPacketLength: number;
  maxReadLength: number;
  maxWriteLength: number;
  maxOpenHandles: number;
}

export const limitsExtension = 'limits@openssh.com';

/** ssh2's own bound on one incoming SFTP packet (OPENSSH_MAX_PKT_LEN). */
const maxInPacket = 256 * 1024;
/**
 * The most one READ or WRITE may carry through the gateway. The relay holds
 * each answer whole before passing it on, so 255 KiB requests (what OpenSSH's
 * sftp-server allows) made scp through Warden slower, not faster: bench/ssh.sh,
 * 2026-11-25, scp ratio about 0.42 at 255 KiB against 0.56–0.63 at 32, 64 and
 * 128 KiB (docs/performance.md, SSH). 64 KiB is what the relay read before.
 */
export const relayChunk = 64 * 1024;
/** A target that states no limits: what every SFTP server must accept (draft-ietf-secsh-filexfer: 32768-byte reads and writes). */
const fallback: SftpLimits = { maxPacketLength: 34000, maxReadLength: 32 * 1024, maxWriteLength: 32 * 1024, maxOpenHandles: 0 };

interface ClientInternals {
  _extensions?: Record<string, string>;
  _maxOutPktLen?: number;
  _maxReadLen?: number;
  _maxWriteLen?: number;
  maxOpenHandles?: number;
}

/**
 * The limits the gateway states to its client: the target's own (ssh2's
 * client asks for them when the target offers the extension), reads and
 * writes no larger than `relayChunk` and packets no larger than this
 * gateway's SFTP server accepts; a target without the extension gets the
 * 32 KiB every server supports.
 */
export function targetLimits(up: SFTPWrapper): SftpLimits {
  const u = up as unknown as ClientInternals;
  if (u._extensions?.[limitsExtension] !== '1') return fallback;
  const cap = (n: number | undefined, max: number, dflt: number) => (n !== undefined && n > 0 && Number.isFinite(n) ? Math.min(n, max) : dflt);
  return {
    maxPacketLength: cap(u._maxOutPktLen, maxInPacket, fallback.maxPacketLength),
    maxReadLength: cap(u._maxReadLen, relayChunk, fallback.maxReadLength),
    maxWriteLength: cap(u._maxWriteLen, relayChunk, fallback.maxWriteLength),
    // ssh2 says Infinity for "no limit stated"; on the wire that is 0.
    maxOpenHandles: u.maxOpenHandles !== undefined && Number.isFinite(u.maxOpenHandles) && u.maxOpenHandles > 0 ? u.maxOpenHandles : 0,
  };
}

interface ServerInternals {
  _version: number;
  _buffer: Buffer[];
  _waitWindow?: boolean;
  _chunkcb?: () => void;
  push(data: Buffer | null): unknown;
  outgoing: { id: number; state: string; window: number; packetSize: number };
  _protocol: { channelData(id: number, data: Buffer): void };
}

/** ssh2's VERSION reply (SERVER_VERSION_BUFFER): length 5, SSH_FXP_VERSION, version 3. */
const plainVersion = Buffer.from([0, 0, 0, 5, 2, 0, 0, 0, 3]);

/**
 * Makes the server's VERSION reply offer `limits@openssh.com` "1". Returns
 * whether it was offered (read after the client's INIT): false when the
 * reply could not be rewritten (it went out in pieces), and then the
 * client never asks. Call before any data reaches the channel.
 */
export function offerLimits(sftp: SFTPWrapper): () => boolean {
  const chan = sftp as unknown as ServerInternals;
  let offered = false;
  const push = chan.push.bind(chan);
  chan.push = (data) => {
    if (chan._version !== -1) return push(data);
    const real = chan._protocol;
    chan._protocol = new Proxy(real, {
      get: (target, key) => {
        if (key === 'channelData') {
          return (id: number, payload: Buffer) => {
            const extra = withLimits.length - plainVersion.length;
            // ssh2 charged the plain reply to the window already; the rest must fit too.
            if (!offered && payload.equals(plainVersion) && chan.outgoing.window >= extra) {
              chan.outgoing.window -= extra;
              offered = true;
              return real.channelData(id, withLimits);
            }
            return real.channelData(id, payload);
          };
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    try {
      return push(data);
    } finally {
      chan._protocol = real;
    }
  };
  return () => offered;
}

const withLimits = (() => {
  const name = Buffer.from(limitsExtension);
  const body = Buffer.alloc(1 + 4 + 4 + name.length + 4 + 1);
  let p = body.writeUInt8(2, 0); // SSH_FXP_VERSION
  p = body.writeUInt32BE(3, p);
  p = body.writeUInt32BE(name.length, p);
  p += name.copy(body, p);
  p = body.writeUInt32BE(1, p);
  body.write('1', p);
  return Buffer.concat([lengthOf(body), body]);
})();

function lengthOf(body: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(body.length);
  return b;
}

/** Answers a `limits@openssh.com` request: SSH_FXP_EXTENDED_REPLY with four uint64s. */
export function sendLimits(sftp: SFTPWrapper, reqid: number, l: SftpLimits): void {
  const body = Buffer.alloc(1 + 4 + 4 * 8);
  let p = body.writeUInt8(201, 0); // SSH_FXP_EXTENDED_REPLY
  p = body.writeUInt32BE(reqid, p);
  for (const n of [l.maxPacketLength, l.maxReadLength, l.maxWriteLength, l.maxOpenHandles]) p = body.writeBigUInt64BE(BigInt(n), p);
  send(sftp as unknown as ServerInternals, Buffer.concat([lengthOf(body), body]));
}

/** Writes one SFTP packet on the channel as ssh2's sendOrBuffer does: in order after anything ssh2 holds back for the window. */
function send(chan: ServerInternals, payload: Buffer): void {
  if (chan.outgoing.state !== 'open') return;
  const queue = chan._buffer;
  if (queue.length === 0 && chan.outgoing.window >= payload.length && payload.length <= chan.outgoing.packetSize) {
    chan.outgoing.window -= payload.length;
    return chan._protocol.channelData(chan.outgoing.id, payload);
  }
  queue.push(payload);
  // A backlog means ssh2 already waits for the window and will drain it (ours included).
  if (queue.length > 1 || chan._waitWindow) return;
  chan._waitWindow = true;
  chan._chunkcb = () => drain(chan);
  if (chan.outgoing.window > 0) drain(chan);
}

/** Sends what the window allows from the backlog, in packet-size pieces, and waits for the next window adjust if any is left. */
function drain(chan: ServerInternals): void {
  chan._chunkcb = undefined;
  chan._waitWindow = false;
  const queue = chan._buffer;
  while (queue.length > 0 && chan.outgoing.window > 0 && chan.outgoing.state === 'open') {
    const head = queue[0]!;
    const n = Math.min(head.length, chan.outgoing.window, chan.outgoing.packetSize);
    chan.outgoing.window -= n;
    chan._protocol.channelData(chan.outgoing.id, head.subarray(0, n));
    if (n === head.length) queue.shift();
    else queue[0] = head.subarray(n);
  }
  if (queue.length > 0) {
    chan._waitWindow = true;
    chan._chunkcb = () => drain(chan);
  }
}
