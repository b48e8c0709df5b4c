import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { paddingPool, ssh2 } from './ssh2.ts';

describe('ssh2 as the gateway loads it', () => {
  it('leaves crypto.randomFillSync as it was for everything else', () => {
    expect(createRequire(import.meta.url)('node:crypto').randomFillSync).toBe(randomFillSync);
  });

  it('pads its packets with bytes from the pool', async () => {
    const before = paddingPool.served;
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new ssh2.Client();
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
        client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p' });
      });
      client.end();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Both ends' packets after the key exchange are padded: at least 4 bytes each.
    expect(paddingPool.served - before).toBeGreaterThanOrEqual(4 * 4);
  });
});
