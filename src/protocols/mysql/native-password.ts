import { createHash } from 'node:crypto';

/**
 * mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))); empty for no password.
 * Its own file because the agent computes it too, for connections whose credentials it holds.
 */
export function nativePassword(password: string | null, scramble: Buffer): Buffer {
  if (!password) return Buffer.alloc(0);
  const sha1 = (...b: Buffer[]) => createHash('sha1').update(Buffer.concat(b)).digest();
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const mix = sha1(scramble.subarray(0, 20), sha1(stage1));
  for (let i = 0; i < stage1.length; i++) stage1[i]! ^= mix[i]!;
  return stage1;
}
