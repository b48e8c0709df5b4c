import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreOptions } from './index.ts';

/** The machine's PostgreSQL, where store tests get a schema of their own. */
export const testPgUrl = 'postgres://postgres@127.0.0.1:5432/test';

/** One back-end under test: how to get store options, and how to clean up afterwards. */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  setup(): Promise<{ opts: StoreOptions; cleanup(): Promise<void> }>;
}

/**
 * Both back-ends, for `describe.each(storeBackends)`: SQLite in a temp dir,
 * PostgreSQL in a fresh schema dropped afterwards. Every store test runs on both.
 */
export const storeBackends: StoreBackend[] = [
  {
    name: 'sqlite',
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
      return {
        opts: { url: '', sqlitePath: join(dir, 'nested', 'warden.db'), pgSchema: 'unused' },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async setup() {
      const schema = `warden_test_${randomBytes(6).toString('hex')}`;
      return {
        opts: { url: testPgUrl, sqlitePath: '', pgSchema: schema },
        cleanup: async () => {
          const client = new pg.Client({ connectionString: testPgUrl });
          await client.connect();
          try {
            await client.query(`drop schema if exists "${schema}" cascade`);
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];
