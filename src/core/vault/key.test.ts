import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WardenError } from '../errors.ts';
import { loadMasterKey } from './key.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<WardenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WardenError);
  return err as WardenError;
}

describe('loadMasterKey', () => {
  it('creates a new key file 0600 in a 0700 directory, then reads the same key back', async () => {
    const keyFile = join(dir, 'data', 'master.key');
    const key = await loadMasterKey({ env: {}, keyFile });
    expect(key.length).toBe(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')).toEqual(key);
    expect(await loadMasterKey({ env: {}, keyFile })).toEqual(key);
  });

  it('prefers WARDEN_MASTER_KEY (hex or base64) over the key file', async () => {
    const keyFile = join(dir, 'master.key');
    const fileKey = await loadMasterKey({ env: {}, keyFile });
    const envKey = randomBytes(32);
    expect(await loadMasterKey({ env: { WARDEN_MASTER_KEY: envKey.toString('hex') }, keyFile })).toEqual(envKey);
    expect(await loadMasterKey({ env: { WARDEN_MASTER_KEY: envKey.toString('base64') }, keyFile })).toEqual(envKey);
    expect(await loadMasterKey({ env: { WARDEN_MASTER_KEY: envKey.toString('base64url') }, keyFile })).toEqual(envKey);
    expect(await loadMasterKey({ env: { WARDEN_MASTER_KEY: '' }, keyFile })).toEqual(fileKey);
  });

  it('names the source and the expected format when a key is malformed', async () => {
    const keyFile = join(dir, 'master.key');
    const fromEnv = await failure(loadMasterKey({ env: { WARDEN_MASTER_KEY: randomBytes(16).toString('hex') }, keyFile }));
    expect(fromEnv.kind).toBe('bad_request');
    expect(fromEnv.message).toContain('WARDEN_MASTER_KEY');
    expect(fromEnv.message).toContain('32 bytes');

    writeFileSync(keyFile, 'not a key!\n', { mode: 0o600 });
    const fromFile = await failure(loadMasterKey({ env: {}, keyFile }));
    expect(fromFile.kind).toBe('bad_request');
    expect(fromFile.message).toContain(keyFile);
    // The malformed file is kept for the operator to fix, never replaced.
    expect(readFileSync(keyFile, 'utf8')).toBe('not a key!\n');
  });

  it('asks for a key when neither the variable nor a key file path is given', async () => {
    const err = await failure(loadMasterKey({ env: {}, keyFile: '' }));
    expect(err.kind).toBe('bad_request');
    expect(err.message).toContain('WARDEN_MASTER_KEY');
  });
});
