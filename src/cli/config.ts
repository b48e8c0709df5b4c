import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { WardenError } from '../core/errors.ts';

/**
 * The CLI's own small config: which API to talk to and with which token,
 * written by `warden login`. It holds a credential, so its directory is 0700
 * and the file 0600.
 */
const CliConfig = z.object({ url: z.string().min(1), token: z.string().min(1) });
export type CliConfig = z.infer<typeof CliConfig>;

export function cliConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['WARDEN_CLI_CONFIG'];
  if (explicit) return explicit;
  return join(env['HOME'] || homedir(), '.config', 'warden', 'cli.json');
}

/** undefined when there is no config file yet. */
export async function readCliConfig(path: string): Promise<CliConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WardenError('bad_request', `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: ReturnType<typeof CliConfig.safeParse>;
  try {
    parsed = CliConfig.safeParse(JSON.parse(text));
  } catch {
    throw new WardenError('bad_request', `${path} is not valid JSON; run \`warden login\` again`);
  }
  if (!parsed.success) throw new WardenError('bad_request', `${path} needs "url" and "token"; run \`warden login\` again`);
  return parsed.data;
}

export async function writeCliConfig(path: string, config: CliConfig): Promise<void> {
  // Only directories created here get 0700: a chosen path's existing directory (say /tmp) is left alone.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode only applies to a new file; an older file keeps its mode otherwise.
  await chmod(path, 0o600);
}

export async function removeCliConfig(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
