import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGatewayTls } from './tls.ts';

describe('loadGatewayTls', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates a self-signed certificate on first start without loading the generator into the gateway', async () => {
    const tls = await loadGatewayTls({ certFile: '', keyFile: '', dataDir });
    const cert = new X509Certificate(tls.certPem);
    expect(cert.subject).toBe('CN=warden-gateway');
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(tls.keyPem))).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 4 * 365 * 24 * 3600 * 1000);
    expect(statSync(join(dataDir, 'tls', 'gateway.key')).mode & 0o777).toBe(0o600);
    // selfsigned and its X.509/ASN.1 dependencies ran in a child process: ~13 MB of RSS the gateway does not keep.
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((f) => /node_modules\/(selfsigned|@peculiar)\//.test(f))).toEqual([]);
  });

  it('keeps the generated certificate across restarts', async () => {
    const first = await loadGatewayTls({ certFile: '', keyFile: '', dataDir });
    const again = await loadGatewayTls({ certFile: '', keyFile: '', dataDir });
    expect(again.certPem).toBe(first.certPem);
    expect(again.keyPem).toBe(first.keyPem);
  });

  it('refuses half a configured pair', async () => {
    await expect(loadGatewayTls({ certFile: join(dataDir, 'x.crt'), keyFile: '', dataDir })).rejects.toThrow(/set together/);
  });
});
