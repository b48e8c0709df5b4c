import type { ConnectionRepo } from '../connections/types.ts';
import { WardenError } from '../errors.ts';
import { createVault, sealedKeyId } from './seal.ts';

/**
 * Re-seals every connection secret from `oldKey` to `newKey`.
 *
 * Restartable: secrets already under the new key are skipped, so a rotation
 * interrupted half-way can simply be run again with the same keys. Every secret
 * is opened before any is rewritten, so a secret under an unknown key stops the
 * rotation with nothing changed.
 */
export async function rotateMasterKey(opts: {
  connections: ConnectionRepo;
  oldKey: Buffer;
  newKey: Buffer;
}): Promise<{ resealed: number }> {
  const from = createVault(opts.oldKey);
  const to = createVault(opts.newKey);
  if (from.keyId === to.keyId) throw new WardenError('bad_request', 'the new master key is the same as the old one; generate a new key');

  const pending: { name: string; plaintext: string }[] = [];
  for (const c of await opts.connections.list()) {
    if (c.sealedSecret === null || sealedKeyId(c.sealedSecret) === to.keyId) continue;
    try {
      pending.push({ name: c.name, plaintext: from.open(c.sealedSecret) });
    } catch (err) {
      // fail closed: never rotate past a secret we cannot read; the operator must decide.
      throw new WardenError('bad_request', `connection ${c.name} has a secret not sealed under the old key ${from.keyId}; nothing was changed`, {
        cause: err,
      });
    }
  }
  for (const p of pending) {
    await opts.connections.update(p.name, { sealedSecret: to.seal(p.plaintext) });
  }
  return { resealed: pending.length };
}
