import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * RFC 6455 §5.3 masking of the frames an agent (the WebSocket client) sends:
 * each frame gets a fresh key from a CSPRNG and its payload is XORed with it.
 * The key is what keeps bytes a target returns (rows, shell output: content an
 * outsider may have chosen) from appearing verbatim on the wire, where an
 * intermediary that misreads the stream could act on them (RFC 6455 §10.3).
 *
 * The XOR runs in bufferutil (ws's own native helper, which ws's receiver on the
 * gateway uses to unmask too) when it loads; its pure-JS fallback otherwise.
 * Below 48 bytes a JS loop beats the native call, as in ws.
 */
interface BufferUtil {
  mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
  unmask(buffer: Buffer, mask: Buffer): void;
}
const bufferUtil = createRequire(import.meta.url)('bufferutil') as BufferUtil;

/** Keys come from a pool refilled 2,048 frames at a time: one CSPRNG call per refill, not per frame. */
const pool = Buffer.allocUnsafe(8192);
let poolAt = pool.length;

/** Writes a fresh random 4-byte masking key into `out` at `at`. */
export function writeMaskKey(out: Buffer, at: number): void {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  out[at] = pool[poolAt]!;
  out[at + 1] = pool[poolAt + 1]!;
  out[at + 2] = pool[poolAt + 2]!;
  out[at + 3] = pool[poolAt + 3]!;
  poolAt += 4;
}

/** The key rotated to start at payload offset `shift` (used synchronously, so one buffer serves every call). */
const rotated = Buffer.allocUnsafe(4);

/**
 * Copies `source` into `out` at `offset` masked with the key at `out[keyAt..keyAt+4]`, as
 * payload bytes starting at payload offset `payloadOffset` (the key index is the offset mod 4).
 */
export function maskInto(source: Buffer, out: Buffer, offset: number, keyAt: number, payloadOffset: number): void {
  const n = source.length;
  if (n < 48) {
    for (let i = 0; i < n; i++) out[offset + i] = source[i]! ^ out[keyAt + ((payloadOffset + i) & 3)]!;
    return;
  }
  for (let k = 0; k < 4; k++) rotated[k] = out[keyAt + ((payloadOffset + k) & 3)]!;
  bufferUtil.mask(source, rotated, out, offset, n);
}

/** The key of the payload being unmasked (used synchronously, so one buffer serves every call). */
const unmaskKey = Buffer.allocUnsafe(4);

/** XORs a received frame's `payload` in place with the key at `key[keyAt..keyAt+4]`. */
export function unmaskInPlace(payload: Buffer, key: Buffer, keyAt: number): void {
  const n = payload.length;
  if (n < 48) {
    for (let i = 0; i < n; i++) payload[i]! ^= key[keyAt + (i & 3)]!;
    return;
  }
  for (let k = 0; k < 4; k++) unmaskKey[k] = key[keyAt + k]!;
  bufferUtil.unmask(payload, unmaskKey);
}
