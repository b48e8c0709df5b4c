import { createHash } from 'node:crypto';

/**
 * MariaDB's `client_ed25519` authentication: the client signs the server's
 * 32-byte scramble with Ed25519, using SHA-512 of the *password* (any length)
 * as the expanded secret key. Node's crypto only signs with a 32-byte seed
 * (which it hashes itself), so the arithmetic is done here with BigInt —
 * only the gateway's own, vaulted password is ever signed with it, a few
 * times per login, so speed and constant time matter little.
 *
 * @see https://mariadb.com/kb/en/authentication-plugin-ed25519/
 * @see https://github.com/MariaDB/server/blob/10.11/plugin/auth_ed25519/ref10/sign.c (crypto_sign)
 * @see RFC 8032 §5.1 (the curve and encoding)
 */
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
type Point = readonly [x: bigint, y: bigint, z: bigint, t: bigint];

const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return r;
}
const inv = (a: bigint): bigint => pow(a, P - 2n);
const D2 = mod(2n * -121665n * inv(121666n));
const Gx = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
const Gy = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;
const G: Point = [Gx, Gy, 1n, mod(Gx * Gy)];

/** Unified addition in extended coordinates (a = -1); also doubles. */
function add([X1, Y1, Z1, T1]: Point, [X2, Y2, Z2, T2]: Point): Point {
  const a = mod((Y1 - X1) * (Y2 - X2));
  const b = mod((Y1 + X1) * (Y2 + X2));
  const c = mod(T1 * D2 * T2);
  const d = mod(2n * Z1 * Z2);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiplyBase(k: bigint): Point {
  let r: Point = [0n, 1n, 1n, 0n];
  for (let q = G; k > 0n; k >>= 1n, q = add(q, q)) if (k & 1n) r = add(r, q);
  return r;
}

function encode([X, Y, Z]: Point): Buffer {
  const zi = inv(Z);
  const x = mod(X * zi), y = mod(Y * zi);
  const out = le(y);
  if (x & 1n) out[31]! |= 0x80;
  return out;
}

function le(n: bigint): Buffer {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
}
const fromLe = (b: Buffer): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const sha512 = (...parts: Buffer[]): Buffer => createHash('sha512').update(Buffer.concat(parts)).digest();

/** The public key MariaDB stores for `password` (what `ED25519_PASSWORD()` returns, base64). */
export function ed25519PublicKey(password: string): Buffer {
  return encode(multiplyBase(secretScalar(sha512(Buffer.from(password, 'utf8')))));
}

/** The 64-byte answer to a `client_ed25519` AuthSwitchRequest: the signature of `scramble`. */
export function ed25519Sign(password: string, scramble: Buffer): Buffer {
  const az = sha512(Buffer.from(password, 'utf8'));
  const a = secretScalar(az);
  const publicKey = encode(multiplyBase(a));
  const nonce = mod(fromLe(sha512(az.subarray(32), scramble)), L);
  const R = encode(multiplyBase(nonce));
  const h = mod(fromLe(sha512(R, publicKey, scramble)), L);
  return Buffer.concat([R, le(mod(nonce + h * a, L))]);
}

function secretScalar(az: Buffer): bigint {
  const s = Buffer.from(az.subarray(0, 32));
  s[0]! &= 248;
  s[31]! &= 63;
  s[31]! |= 64;
  return fromLe(s);
}
