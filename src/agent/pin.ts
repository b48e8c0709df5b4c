import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { WardenError } from '../core/errors.ts';

/**
 * Certificate pinning for the agent's wss:// link: `--pin sha256:<fingerprint>`
 * (hex, with or without colons as `openssl x509 -fingerprint -sha256` prints it,
 * or base64). The gateway's certificate must hash to exactly that; no CA is
 * consulted, so a self-signed gateway certificate works without distributing it.
 */
export function parsePin(text: string): Buffer {
  const m = /^sha256:(.+)$/i.exec(text.trim());
  const body = m?.[1]?.trim() ?? '';
  const hex = body.replace(/:/g, '');
  const bytes = /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(body) ? Buffer.from(body, 'base64') : undefined;
  if (m === null || bytes === undefined || bytes.length !== 32) {
    throw new WardenError('bad_request', `--pin must be sha256:<64 hex digits or base64> (e.g. from \`openssl x509 -noout -fingerprint -sha256 -in gateway.crt\`); got "${text.slice(0, 80)}"`);
  }
  return bytes;
}

/** The sha256 fingerprint of a PEM or DER certificate, as `sha256:<hex>`. */
export function fingerprint(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

type OnCreate = (err: Error | null, socket?: Socket) => void;

/**
 * A `createConnection` for the WebSocket client's HTTP request: the TLS
 * handshake completes and the certificate is compared with the pin BEFORE the
 * request (which carries the agent token) is handed the socket, so a
 * mismatching gateway never sees the token. Node's ClientRequest waits for
 * `oncreate` when this returns undefined.
 */
export function pinnedConnect(pin: Buffer) {
  return (options: ConnectionOptions & { host?: string; path?: string }, oncreate: OnCreate): undefined => {
    const host = options.host ?? '';
    // fail closed: the chain is not checked, but nothing is sent unless the certificate is the pinned one.
    const socket = tlsConnect({ ...options, path: undefined, servername: isIP(host) ? undefined : host, rejectUnauthorized: false } as ConnectionOptions);
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err) {
        socket.destroy();
        oncreate(err);
      } else oncreate(null, socket);
    };
    socket.once('secureConnect', () => finish(pinMismatch(socket, pin) ?? null));
    socket.once('error', (err) => finish(err));
    return undefined;
  };
}

/** Why `socket`'s (handshaken) certificate is not the pinned one; undefined when it is. */
export function pinMismatch(socket: TLSSocket, pin: Buffer): Error | undefined {
  const raw = socket.getPeerCertificate().raw;
  const got = raw === undefined ? Buffer.alloc(0) : createHash('sha256').update(raw).digest();
  if (got.length === pin.length && timingSafeEqual(got, pin)) return undefined;
  return new Error(`the gateway's certificate (${raw === undefined ? 'none' : fingerprint(raw)}) does not match --pin; refusing to send the agent token`);
}
