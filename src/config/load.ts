import { isAbsolute, resolve } from 'node:path';
import { invalidConfig, readConfigFile } from './file.ts';
import { configSchema, type WardenConfig } from './schema.ts';

/** Overrides given on the command line; they win over the environment and the file. */
export interface ConfigOverrides {
  dataDir?: string;
  logLevel?: string;
  postgresPort?: number;
  apiPort?: number;
  storeUrl?: string;
}

/**
 * Loads the configuration: file (YAML or JSON) < environment < flags, then
 * validates it whole. A bad file throws WardenError('bad_request') naming
 * every key that is wrong and what was expected.
 */
export function loadConfig(
  file: string | undefined,
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): WardenConfig {
  const raw = (file ? readConfigFile(file, 'config file') : {}) as Record<string, any>;
  const set = (path: string[], value: unknown) => {
    if (value === undefined || value === '') return;
    let node = raw;
    for (const key of path.slice(0, -1)) node = node[key] ??= {};
    node[path[path.length - 1]!] = value;
  };
  set(['dataDir'], env.WARDEN_DATA_DIR);
  set(['logLevel'], env.WARDEN_LOG_LEVEL);
  set(['store', 'url'], env.WARDEN_STORE_URL);
  set(['dataDir'], overrides.dataDir);
  set(['logLevel'], overrides.logLevel);
  set(['listeners', 'postgres', 'port'], overrides.postgresPort);
  set(['listeners', 'api', 'port'], overrides.apiPort);
  set(['store', 'url'], overrides.storeUrl);
  return validateConfig(raw, file ?? 'configuration');
}

export function validateConfig(raw: unknown, source: string): WardenConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw invalidConfig(source, parsed.error);
  return resolvePaths(parsed.data);
}

/** Fills the paths that default to somewhere under the data directory. */
function resolvePaths(c: WardenConfig): WardenConfig {
  const dataDir = resolve(c.dataDir);
  const under = (p: string, fallback: string) => (p === '' ? resolve(dataDir, fallback) : isAbsolute(p) ? p : resolve(p));
  return {
    ...c,
    dataDir,
    tls: { ...c.tls, certFile: c.tls.certFile && resolve(c.tls.certFile), keyFile: c.tls.keyFile && resolve(c.tls.keyFile) },
    vault: { masterKeyFile: under(c.vault.masterKeyFile, 'master.key') },
    recording: { ...c.recording, dir: under(c.recording.dir, 'recordings') },
  };
}

