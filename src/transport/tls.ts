import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
      const pems = await generateSelfSigned();
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

/**
 * A new self-signed certificate and its key, made by `selfsigned` in a short-lived child
 * process. Loaded in the gateway, the package and its X.509/ASN.1 dependencies (~180 modules)
 * stayed for the process's life: ~13 MB of RSS on every first start, for a few milliseconds'
 * use. The child is this same Node binary running a fixed script; the PEMs come back on its
 * stdout. Throws (and the start fails) when the child fails.
 */
async function generateSelfSigned(): Promise<{ private: string; cert: string }> {
  const module = createRequire(import.meta.url).resolve('selfsigned');
  const options = {
    keySize: 2048,
    algorithm: 'sha256',
    notAfter: Date.now() + 5 * 365 * 24 * 3600 * 1000,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', generateScript, module, JSON.stringify(options)], { timeout: 60_000, maxBuffer: 1 << 20 });
    const pems = JSON.parse(stdout) as { private?: unknown; cert?: unknown };
    if (typeof pems.private !== 'string' || typeof pems.cert !== 'string') throw new Error('no PEM in its output');
    return { private: pems.private, cert: pems.cert };
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new WardenError('internal', `cannot generate the gateway's TLS certificate (or set tls.certFile and tls.keyFile): ${(e.stderr?.trim() || e.message).slice(0, 500)}`, { cause: err });
  }
}

/** Run by `node -e SCRIPT MODULE OPTIONS` (argv[1] the resolved `selfsigned`, argv[2] the options as JSON). */
const generateScript = `
const { generate } = require(process.argv[1]);
const { notAfter, ...options } = JSON.parse(process.argv[2]);
generate([{ name: 'commonName', value: 'warden-gateway' }], { ...options, notAfterDate: new Date(notAfter) }).then(
  (p) => process.stdout.write(JSON.stringify({ private: p.private, cert: p.cert })),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exitCode = 1; },
);`;
