import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { unavailable } from '../../transport/dial.ts';

/**
 * TLS towards a MySQL target, after the gateway's SSLRequest (the first 32
 * bytes of a HandshakeResponse41 with CLIENT_SSL) and before the real login.
 * Modes as for PostgreSQL targets: `prefer` and `require` encrypt without
 * checking the certificate; `verify-full` checks the chain against the
 * system's trust store (plus NODE_EXTRA_CA_CERTS) and the host name or IP.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_ssl_request.html
 */
export function sslRequest(capabilities: number, maxPacket: number, charset: number): Buffer {
  const p = Buffer.alloc(32);
  p.writeUInt32LE(capabilities >>> 0, 0);
  p.writeUInt32LE(maxPacket, 4);
  p[8] = charset;
  return p;
}

/** Resolves with the TLS layer over `socket`; rejects with upstream_unavailable saying why the handshake failed. */
export function startTls(socket: Socket, mode: 'prefer' | 'require' | 'verify-full', host: string, signal: AbortSignal, name: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: mode === 'verify-full' }, () => {
      signal.removeEventListener('abort', onAbort);
      secure.removeAllListeners('error');
      // Later errors are the session's: the relay listens for close.
      secure.on('error', () => undefined);
      resolve(secure);
    });
    const onAbort = () => {
      secure.destroy();
      reject(unavailable(name, 'timed out during the TLS handshake'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // fail closed: an untrusted or mismatched certificate ends the login; the reason names what to fix.
    secure.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(unavailable(name, `TLS to the target failed (${err.message}); with tls "verify-full" the target's certificate must be trusted and name its host`));
    });
  });
}
