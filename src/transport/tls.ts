import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { WardenError } from '../core/errors.ts';

export interface GatewayTls {
  context: SecureContext;
  certPem: string;
  certFile: string;
  /** For servers that take PEMs rather than a context (the HTTPS API). */
  keyPem: string;
}

/**
 * The gateway's own certificate: the configured PEM pair, or a self-signed
 * one generated on first start and persisted in the data dir so clients that
 * pin it keep working across restarts.
 */
export async function loadGatewayTls(opts: { certFile: string; keyFile: string; dataDir: string }): Promise<GatewayTls> {
  let certFile = opts.certFile;
  let keyFile = opts.keyFile;
  if (!certFile || !keyFile) {
    if (certFile || keyFile) throw new WardenError('bad_request', 'tls.certFile and tls.keyFile must be set together (or neither, to use a generated certificate)');
    const dir = join(opts.dataDir, 'tls');
    certFile = join(dir, 'gateway.crt');
    keyFile = join(dir, 'gateway.key');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Imported here: only a first start without a certificate needs it, and it is heavy (~17 MB RSS).
      const { generate } = await import('selfsigned');
      const pems = await generate([{ name: 'commonName', value: 'warden-gateway' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000),
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
      });
      writeFileSync(keyFile, pems.private, { mode: 0o600 });
      writeFileSync(certFile, pems.cert, { mode: 0o644 });
    }
  }
  try {
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const context = createSecureContext({ cert: certPem, key: keyPem });
    return { context, certPem, certFile, keyPem };
  } catch (err) {
    throw new WardenError('bad_request', `cannot load the gateway TLS certificate (${certFile}, ${keyFile}): ${(err as Error).message}`);
  }
}
