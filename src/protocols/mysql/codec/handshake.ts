import { randomBytes } from 'node:crypto';
import { lenencBytes, readLenencBytes, readNulString, ShortPacketError } from './lenenc.ts';

/**
 * The connection phase: HandshakeV10 (server greeting), HandshakeResponse41
 * (client login), AuthSwitchRequest and the capability flags.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
 */
export const cap = {
  longPassword: 1, // also MariaDB's "CLIENT_MYSQL": without it a MariaDB client expects extended capabilities
  foundRows: 2,
  longFlag: 4,
  connectWithDb: 8,
  localFiles: 128,
  ignoreSpace: 256,
  protocol41: 512,
  interactive: 1024,
  ssl: 2048,
  transactions: 8192,
  secureConnection: 32768,
  multiStatements: 1 << 16,
  multiResults: 1 << 17,
  psMultiResults: 1 << 18,
  pluginAuth: 1 << 19,
  connectAttrs: 1 << 20,
  pluginAuthLenencData: 1 << 21,
  sessionTrack: 1 << 23,
  deprecateEof: 1 << 24,
} as const;

/**
 * What the gateway offers clients. Everything here is relayed to the target
 * unchanged after login, so it is limited to what the relay understands:
 * no compression, no session tracking, no DEPRECATE_EOF (result sets end
 * with EOF packets), no MariaDB extended capabilities. LOCAL INFILE is
 * offered, but each request of the target is checked (local-infile.ts).
 */
export const gatewayCapabilities =
  cap.longPassword | cap.foundRows | cap.longFlag | cap.connectWithDb | cap.localFiles | cap.ignoreSpace | cap.protocol41 | cap.interactive |
  cap.transactions | cap.secureConnection | cap.multiStatements | cap.multiResults | cap.psMultiResults | cap.pluginAuth |
  cap.pluginAuthLenencData;

export interface ServerGreeting {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  capabilities: number;
  charset: number;
  status: number;
  /** The 20-byte scramble (nonce) for challenge-response plugins. */
  scramble: Buffer;
  authPlugin: string;
}

export function buildGreeting(g: { serverVersion: string; connectionId: number; capabilities: number; charset: number; status: number; scramble: Buffer; authPlugin: string }): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(g.connectionId, 0);
  const mid = Buffer.alloc(2 + 1 + 2 + 2 + 1 + 10);
  mid.writeUInt16LE(g.capabilities & 0xffff, 0);
  mid[2] = g.charset;
  mid.writeUInt16LE(g.status, 3);
  mid.writeUInt16LE(g.capabilities >>> 16, 5);
  mid[7] = g.scramble.length + 1;
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from(g.serverVersion + '\0', 'utf8'),
    head,
    g.scramble.subarray(0, 8),
    Buffer.from([0]),
    mid,
    g.scramble.subarray(8),
    Buffer.from([0]),
    Buffer.from(g.authPlugin + '\0', 'utf8'),
  ]);
}

/** A 20-byte scramble of printable-safe bytes (no NUL: clients read it as a string). */
export function newScramble(): Buffer {
  const b = randomBytes(20);
  for (let i = 0; i < b.length; i++) b[i] = (b[i]! % 94) + 33;
  return b;
}

export function parseGreeting(p: Buffer): ServerGreeting {
  if (p[0] !== 10) throw new ShortPacketError(`unsupported handshake protocol version ${p[0]}`);
  const v = readNulString(p, 1);
  let off = v.next;
  const connectionId = p.readUInt32LE(off);
  const part1 = p.subarray(off + 4, off + 12);
  off += 13;
  let capabilities = p.readUInt16LE(off);
  const charset = p[off + 2] ?? 0;
  const status = p.readUInt16LE(off + 3);
  capabilities |= p.readUInt16LE(off + 5) << 16;
  const dataLen = p[off + 7] ?? 0;
  off += 18;
  const part2Len = Math.max(13, dataLen - 8);
  const part2 = p.subarray(off, off + part2Len);
  off += part2Len;
  const authPlugin = capabilities & cap.pluginAuth ? readNulString(p, off).value : 'mysql_native_password';
  // The second part ends with a NUL that is not part of the scramble.
  const scramble = Buffer.concat([part1, part2.subarray(0, part2.length - 1)]);
  return { protocolVersion: 10, serverVersion: v.value, connectionId, capabilities: capabilities >>> 0, charset, status, scramble, authPlugin };
}

export interface ClientLogin {
  capabilities: number;
  maxPacket: number;
  charset: number;
  user: string;
  authResponse: Buffer;
  database: string | undefined;
  authPlugin: string | undefined;
}

/** Throws ShortPacketError on a malformed response or one without CLIENT_PROTOCOL_41. */
export function parseHandshakeResponse(p: Buffer): ClientLogin {
  if (p.length < 32) throw new ShortPacketError('handshake response too short');
  const capabilities = p.readUInt32LE(0) >>> 0;
  if (!(capabilities & cap.protocol41)) throw new ShortPacketError('the client does not speak protocol 4.1; use a MySQL 4.1+ client');
  const maxPacket = p.readUInt32LE(4);
  const charset = p[8]!;
  const user = readNulString(p, 32);
  let off = user.next;
  let authResponse: Buffer;
  if (capabilities & cap.pluginAuthLenencData) {
    const r = readLenencBytes(p, off);
    authResponse = r.value ?? Buffer.alloc(0);
    off = r.next;
  } else if (capabilities & cap.secureConnection) {
    const n = p[off] ?? 0;
    authResponse = p.subarray(off + 1, off + 1 + n);
    off += 1 + n;
  } else {
    const r = readNulString(p, off);
    authResponse = Buffer.from(r.value, 'utf8');
    off = r.next;
  }
  let database: string | undefined;
  if (capabilities & cap.connectWithDb && off < p.length) {
    const d = readNulString(p, off);
    database = d.value || undefined;
    off = d.next;
  }
  const authPlugin = capabilities & cap.pluginAuth && off < p.length ? readNulString(p, off).value : undefined;
  return { capabilities, maxPacket, charset, user: user.value, authResponse, database, authPlugin };
}

export function buildHandshakeResponse(r: { capabilities: number; maxPacket: number; charset: number; user: string; authResponse: Buffer; database: string | undefined; authPlugin: string }): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(r.capabilities >>> 0, 0);
  head.writeUInt32LE(r.maxPacket, 4);
  head[8] = r.charset;
  return Buffer.concat([
    head,
    Buffer.from(r.user + '\0', 'utf8'),
    lenencBytes(r.authResponse),
    r.database !== undefined ? Buffer.from(r.database + '\0', 'utf8') : Buffer.alloc(0),
    Buffer.from(r.authPlugin + '\0', 'utf8'),
  ]);
}

/** AuthSwitchRequest: 0xFE, plugin name, plugin data. */
export function authSwitchRequest(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(plugin + '\0', 'utf8'), data]);
}

export function parseAuthSwitch(p: Buffer): { plugin: string; data: Buffer } {
  const name = readNulString(p, 1);
  let data = p.subarray(name.next);
  // The scramble plugins (native, caching_sha2) end their 20-byte scramble with a NUL. MariaDB's
  // ed25519 sends its 32-byte nonce bare, and a random nonce ends in 0x00 once in 256 logins.
  if (name.value !== 'client_ed25519' && data.length > 0 && data[data.length - 1] === 0) data = data.subarray(0, data.length - 1);
  return { plugin: name.value, data };
}
