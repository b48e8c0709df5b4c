import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Warden-Signature: sha256=<hex HMAC-SHA256 of the raw
 * body>`. The body carries `sentAt`, so a receiver can also refuse replays.
 */
export const signatureHeader = 'x-warden-signature';
export const timestampHeader = 'x-warden-timestamp';

export function signBody(rawBody: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** For receivers: true only when `header` is the signature of exactly these bytes (constant-time compare). */
export function verifyWebhookSignature(rawBody: string | Uint8Array, header: string | null | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signBody(rawBody, secret).slice('sha256='.length), 'hex');
  const given = Buffer.from(header.trim().slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
