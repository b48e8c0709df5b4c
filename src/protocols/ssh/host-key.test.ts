import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSshKey } from '../../core/ssh-key-parser.ts';
import { loadOrCreateHostKey } from './host-key.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const readable = (key: string) => {
  const parsed = parseSshKey(key);
  return !(parsed instanceof Error) && !Array.isArray(parsed);
};

describe('loadOrCreateHostKey', () => {
  it('creates a readable key once and keeps it across starts', () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-host-key-'));
    const first = loadOrCreateHostKey(dir);
    expect(readable(first)).toBe(true);
    expect(loadOrCreateHostKey(dir)).toBe(first);
  });

  it('sets an unreadable key aside and makes a new one', () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-host-key-'));
    mkdirSync(join(dir, 'ssh'));
    // Unreadable, as ssh2's 31-byte ed25519 keys were.
    const broken = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
    writeFileSync(join(dir, 'ssh', 'host_ed25519_key'), broken);
    const key = loadOrCreateHostKey(dir);
    expect(readable(key)).toBe(true);
    expect(readFileSync(join(dir, 'ssh', 'host_ed25519_key'), 'utf8')).toBe(key);
    const aside = readdirSync(join(dir, 'ssh')).filter((f) => f.startsWith('host_ed25519_key.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, 'ssh', aside[0]!), 'utf8')).toBe(broken);
  });
});
