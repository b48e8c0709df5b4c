import { randomBytes } from 'node:crypto';
import { chmod, copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { WardenError } from '../core/errors.ts';
import { action, output } from './output.ts';

/** `warden vault rotate-key`: re-seal every stored credential under a new master key. */
export function registerVault(program: Command): void {
  const vault = program.command('vault').description("manage the vault that seals the targets' credentials");
  vault
    .command('rotate-key')
    .description('re-seal every connection secret under a new master key. Stop the gateway first: this works on its data dir directly')
    .option('--config <file>', "the gateway's configuration file")
    .option('--data-dir <dir>', "the gateway's data directory")
    .option('--new-key-file <file>', 'use the key in this file (32 bytes, hex or base64) instead of generating one')
    .option('--json', 'print JSON for scripts instead of text')
    .addHelpText(
      'after',
      [
        '',
        'Run it while the gateway is stopped. Steps, each safe to repeat:',
        '  1. the new key is written to <key file>.new (0600);',
        '  2. every secret is re-sealed (secrets already under the new key are skipped);',
        '  3. the old key file is kept as master.key.old and the new one becomes the key file.',
        'If it stops half-way, run it again with --new-key-file <key file>.new.',
        'When WARDEN_MASTER_KEY holds the key, set it to the new key file\'s content before restarting.',
      ].join('\n'),
    )
    .action(
      action(async (opts: { config?: string; dataDir?: string; newKeyFile?: string; json?: boolean }) => {
        const out = output(opts);
        // Lazy: the store drivers are only needed by this command.
        const { loadConfig } = await import('../config/load.ts');
        const { createVault, loadMasterKey, masterKeyBytes, parseMasterKey, rotateMasterKey } = await import('../core/vault/index.ts');
        const { openStore } = await import('../store/index.ts');
        const config = loadConfig(opts.config, opts.dataDir === undefined ? {} : { dataDir: opts.dataDir });
        const keyFile = config.vault.masterKeyFile;
        const fromEnv = (process.env['WARDEN_MASTER_KEY'] ?? '').trim() !== '';
        // fail closed: never let loadMasterKey invent a fresh "old" key; that would orphan every secret.
        if (!fromEnv && !existsSync(keyFile)) {
          throw new WardenError('bad_request', `no master key at ${keyFile} and WARDEN_MASTER_KEY is unset; is --data-dir right?`);
        }
        const oldKey = await loadMasterKey({ env: process.env, keyFile });
        const newKey = opts.newKeyFile ? parseMasterKey(await readFile(opts.newKeyFile, 'utf8'), opts.newKeyFile) : randomBytes(masterKeyBytes);
        const pendingFile = `${keyFile}.new`;
        if (opts.newKeyFile === undefined || resolve(opts.newKeyFile) !== pendingFile) await writeKey(pendingFile, newKey);

        const store = await openStore({ url: config.store.url, sqlitePath: join(config.dataDir, 'warden.db'), pgSchema: config.store.schema });
        let resealed: number;
        try {
          ({ resealed } = await rotateMasterKey({ connections: store.connections, oldKey, newKey }));
        } catch (err) {
          out.note(`the new key is kept in ${pendingFile}; after fixing the cause, run again with --new-key-file ${pendingFile}`);
          throw err;
        } finally {
          await store.close();
        }

        const backupFile = join(config.dataDir, 'master.key.old');
        if (existsSync(keyFile)) {
          await copyFile(keyFile, backupFile);
          await chmod(backupFile, 0o600);
        } else {
          await writeKey(backupFile, oldKey);
        }
        await rename(pendingFile, keyFile);
        const result = { resealed, keyFile, backupFile, newKeyId: createVault(newKey).keyId };
        out.result(result, () => [
          `re-sealed ${resealed} connection secret${resealed === 1 ? '' : 's'} under key ${result.newKeyId}`,
          `new key: ${keyFile}; old key kept in ${backupFile} (delete it once the gateway runs fine)`,
          ...(fromEnv ? [`WARDEN_MASTER_KEY is set: update it to the content of ${keyFile} before restarting the gateway`] : []),
        ]);
      }),
    );
}

async function writeKey(path: string, key: Buffer): Promise<void> {
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
