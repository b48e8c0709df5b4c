import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';

/**
 * MariaDB's `client_ed25519` authentication: the client signs the server's
 * 32-byte scramble with Ed25519, using SHA-512 of the *password* (any length)
 * as the expanded secret key. Node's crypto only signs with a 32-byte seed
 * (which it hashes itself), and so does a library's `sign`, so the RFC 8032
 * signing steps are spelled out here over @noble/curves' audited point
 * arithmetic; only the scalar algebra mod L is ours.
 *
 * @see https://mariadb.com/kb/en/authentication-plugin-ed25519/
 * @see https://github.com/MariaDB/server/blob/10.11/plugin/auth_ed25519/ref10/sign.c (crypto_sign)
 * @see RFC 8032 §5.1.6 (signing)
 */
const { Point } = ed25519;
const L = Point.Fn.ORDER;

const mod = (a: bigint): bigint => ((a % L) + L) % L;
const fromLe = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const sha512 = (...parts: Uint8Array[]): Buffer => createHash('sha512').update(Buffer.concat(parts)).digest();

function le(n: bigint): Buffer {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
}

/** k·B encoded; k is reduced mod L first (B has order L), and 0 is the identity. */
const baseTimes = (k: bigint): Buffer => Buffer.from((mod(k) === 0n ? Point.ZERO : Point.BASE.multiply(mod(k))).toBytes());

/** The public key MariaDB stores for `password` (what `ED25519_PASSWORD()` returns, base64). */
export function ed25519PublicKey(password: string): Buffer {
  return baseTimes(secretScalar(sha512(Buffer.from(password, 'utf8'))));
}

/** The 64-byte answer to a `client_ed25519` AuthSwitchRequest: the signature of `scramble`. */
export function ed25519Sign(password: string, scramble: Buffer): Buffer {
  const az = sha512(Buffer.from(password, 'utf8'));
  const a = secretScalar(az);
  const publicKey = baseTimes(a);
  const nonce = mod(fromLe(sha512(az.subarray(32), scramble)));
  const R = baseTimes(nonce);
  const h = mod(fromLe(sha512(R, publicKey, scramble)));
  return Buffer.concat([R, le(mod(nonce + h * a))]);
}

/** The clamped secret scalar from the first half of the expanded key (RFC 8032 §5.1.5). */
function secretScalar(az: Buffer): bigint {
  const s = Buffer.from(az.subarray(0, 32));
  s[0]! &= 248;
  s[31]! &= 63;
  s[31]! |= 64;
  return fromLe(s);
}
