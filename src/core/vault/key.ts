import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WardenError } from '../errors.ts';
import { masterKeyBytes } from './seal.ts';

const expected = `${masterKeyBytes} bytes as 64 hex digits or base64 (e.g. \`openssl rand -base64 32\`)`;

/**
 * The master key, from the first place that has one:
 * 1. `WARDEN_MASTER_KEY` (hex or base64 of 32 bytes);
 * 2. the key file (same encodings, surrounding whitespace ignored);
 * 3. a new random key written to the key file (0600, its directory 0700).
 * A key that is present but malformed is an error, never replaced: replacing it
 * would orphan every sealed secret.
 */
export async function loadMasterKey(opts: { env: NodeJS.ProcessEnv; keyFile: string }): Promise<Buffer> {
  const fromEnv = opts.env['WARDEN_MASTER_KEY'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseMasterKey(fromEnv, 'WARDEN_MASTER_KEY');

  if (opts.keyFile === '') {
    throw new WardenError('bad_request', 'no vault master key: set WARDEN_MASTER_KEY or vault.masterKeyFile');
  }
  const existing = await readKeyFile(opts.keyFile);
  if (existing !== undefined) return parseMasterKey(existing, `key file ${opts.keyFile}`);

  await mkdir(dirname(opts.keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(masterKeyBytes);
  try {
    // 'wx': never overwrite a key another gateway wrote a moment ago.
    await writeFile(opts.keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new WardenError('bad_request', `cannot create the vault key file ${opts.keyFile}; check the directory permissions`, { cause: err });
    }
    const raced = await readKeyFile(opts.keyFile);
    if (raced === undefined) throw new WardenError('internal', `the vault key file ${opts.keyFile} vanished while starting`);
    return parseMasterKey(raced, `key file ${opts.keyFile}`);
  }
}

/** Parses hex or base64/base64url of exactly 32 bytes; `source` names where it came from for the error. */
export function parseMasterKey(text: string, source: string): Buffer {
  const s = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) key = Buffer.from(s, 'base64');
  if (key === undefined || key.length !== masterKeyBytes) {
    // fail closed: a short or garbled key would silently weaken or break the vault.
    throw new WardenError('bad_request', `the vault master key from ${source} is not valid; expected ${expected}`);
  }
  return key;
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WardenError('bad_request', `cannot read the vault key file ${path}; check its permissions`, { cause: err });
  }
}
