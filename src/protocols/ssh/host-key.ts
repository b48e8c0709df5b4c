import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519Pair, parseSshKey } from '../../core/ssh-key-parser.ts';

/**
 * The gateway's own SSH host key: generated (ed25519) on first start and kept
 * in the data dir, so clients that pinned it once keep trusting the gateway
 * across restarts. Written 0600 with `wx` so two processes starting at once
 * never overwrite each other's key.
 */
export function loadOrCreateHostKey(dataDir: string): string {
  const dir = join(dataDir, 'ssh');
  const file = join(dir, 'host_ed25519_key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8');
    const parsed = parseSshKey(key);
    if (!(parsed instanceof Error) && !Array.isArray(parsed)) return key;
    // A key nothing can read (ssh2 wrote such ed25519 keys before generateEd25519Pair checked
    // them) never served a client, so none can have pinned it: set it aside and make a new one.
    renameSync(file, `${file}.unreadable-${Date.now()}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateEd25519Pair('warden gateway');
  try {
    writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
    writeFileSync(`${file}.pub`, pair.public + '\n', { mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another process won the race: use its key.
  }
  return readFileSync(file, 'utf8');
}
