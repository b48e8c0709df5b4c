import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { WardenError } from '../core/errors.ts';

/**
 * What the gateway's configuration (load.ts) and the agent's (agent/config.ts)
 * share: reading a YAML or JSON file, saying what zod found wrong in it, and
 * reading a secret from a file.
 * `what` names the file in messages ("config file", "agent config").
 */

/** The file's value (an empty file is `{}`); unreadable or not YAML/JSON: WardenError('bad_request') naming the file. */
export function readConfigFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WardenError('bad_request', `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    return (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) ?? {};
  } catch (err) {
    throw new WardenError('bad_request', `${what} ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

/**
 * A secret kept in a file of its own (a mounted Kubernetes or Docker secret), trimmed; unreadable
 * or empty: WardenError('bad_request') naming `what` and the file, never its contents.
 */
export async function readSecretFile(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WardenError('bad_request', `cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  const secret = text.trim();
  if (secret === '') throw new WardenError('bad_request', `${what} ${file} is empty`);
  return secret;
}

/** A failed validation of `source` as one error, a line per wrong key and what was expected. */
export function invalidConfig(source: string, error: z.ZodError): WardenError {
  const lines = error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  return new WardenError('bad_request', `invalid ${source}:\n${lines.join('\n')}`);
}
