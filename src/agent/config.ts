import { z } from 'zod';
import { invalidConfig, readConfigFile, readSecretFile } from '../config/file.ts';
import { WardenError } from '../core/errors.ts';

/**
 * `warden agent --config <file>` (YAML or JSON): the same settings as the
 * flags, validated whole. Unknown keys are refused, so a misspelt `alow:`
 * says so instead of leaving an agent that allows nothing, or a `pinn:`
 * leaving one that trusts the CA store. Flags win over the environment,
 * which wins over the file (as for the gateway's configuration).
 */
export const agentFileSchema = z
  .object({
    /** ws(s):// or http(s):// URL of the gateway's API. */
    gateway: z.string().min(1).optional(),
    /** The agent token; prefer `tokenFile` or WARDEN_AGENT_TOKEN, which keep it out of this file. */
    token: z.string().min(1).optional(),
    /** A file holding the agent token (a mounted secret), read at start; surrounding whitespace is ignored. */
    tokenFile: z.string().min(1).optional(),
    /** Targets this agent may open, `host:port`. */
    allow: z.array(z.string().min(1)).default([]),
    /** PEM file of the CA (or the gateway's own certificate) to trust for wss://. */
    ca: z.string().min(1).optional(),
    /** sha256 fingerprint of the gateway's certificate (`--pin`). */
    pin: z.string().min(1).optional(),
    /** HTTP proxy to reach the gateway through (`--proxy`). */
    proxy: z.string().min(1).optional(),
    /** YAML file of target credentials kept on this agent (`--credentials`). */
    credentials: z.string().min(1).optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  })
  .strict();

export type AgentFile = z.infer<typeof agentFileSchema>;

/** Reads and validates an agent config file; a bad one throws WardenError('bad_request') naming every wrong key. */
export async function readAgentConfig(file: string): Promise<AgentFile> {
  const parsed = agentFileSchema.safeParse(readConfigFile(file, 'agent config'));
  if (!parsed.success) throw invalidConfig(`agent config ${file}`, parsed.error);
  return parsed.data;
}

/** `warden agent`'s flags, as commander gives them. */
export interface AgentFlags {
  gateway?: string;
  token?: string;
  tokenFile?: string;
  allow: string[];
  config?: string;
  ca?: string;
  pin?: string;
  proxy?: string;
  credentials?: string;
  logLevel?: string;
}

/** What the agent runs with: flags, then the environment, then the config file; file paths not yet read. */
export interface AgentSettings {
  gateway: string;
  token: string;
  /** The file's list and the flags' together. */
  allow: string[];
  ca?: string;
  pin?: string;
  proxy?: string;
  credentials?: string;
  logLevel: string;
}

export async function agentSettings(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): Promise<AgentSettings> {
  const file: Partial<AgentFile> = flags.config === undefined ? {} : await readAgentConfig(flags.config);
  const gateway = flags.gateway ?? env['WARDEN_GATEWAY'] ?? file.gateway;
  if (!gateway) throw new WardenError('bad_request', 'no gateway: pass --gateway <url>, set WARDEN_GATEWAY or put `gateway:` in --config');
  const tokenFile = flags.tokenFile ?? (flags.token === undefined && !env['WARDEN_AGENT_TOKEN'] ? file.tokenFile : undefined);
  const token = flags.token ?? (tokenFile === undefined ? undefined : await readSecretFile(tokenFile, 'the agent token file')) ?? (env['WARDEN_AGENT_TOKEN'] || undefined) ?? file.token;
  if (!token) throw new WardenError('bad_request', 'no agent token: pass --token or --token-file, set WARDEN_AGENT_TOKEN, or put `tokenFile:` in --config (create one with `warden agents create <name>`)');
  const allow = [...(file.allow ?? []), ...flags.allow];
  // fail closed: an agent with nothing allowed would only refuse; say so instead of running uselessly.
  if (allow.length === 0) throw new WardenError('bad_request', 'the allowlist is empty: pass --allow host:port (or `allow:` in --config) for each target this agent may open');
  const pick = <K extends 'ca' | 'pin' | 'proxy' | 'credentials'>(k: K) => flags[k] ?? file[k];
  const [ca, pin, proxy, credentials] = [pick('ca'), pick('pin'), pick('proxy'), pick('credentials')];
  return {
    gateway,
    token,
    allow,
    ...(ca === undefined ? {} : { ca }),
    ...(pin === undefined ? {} : { pin }),
    ...(proxy === undefined ? {} : { proxy }),
    ...(credentials === undefined ? {} : { credentials }),
    logLevel: flags.logLevel ?? file.logLevel ?? 'info',
  };
}
