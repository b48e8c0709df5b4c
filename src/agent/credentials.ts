import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sasl from 'pg/lib/crypto/sasl.js';
import pgCrypto from 'pg/lib/crypto/utils.js';
import ssh2, { type ParsedKey } from 'ssh2';
import { WardenError } from '../core/errors.ts';
import { decodeAuthStep, type AuthAnswer, type AuthHandler, type AuthStep } from '../tunnel/index.ts';
import { answerRsaPassword, answerScramble } from './mysql-answers.ts';
import { publicKeyLine, signUserauth } from './ssh-sign.ts';

/**
 * Target credentials held by the agent (`--credentials file.yaml`, a map of
 * `host:port` → `{ user, password }` for PostgreSQL and MySQL, `{ user,
 * privateKey, passphrase? }` for SSH; `privateKey` and MySQL's
 * `serverPublicKey` are PEM text or a file path, relative to the file) for
 * connections marked `credentials: agent`.
 *
 * Why the gateway drives the login and the agent only answers its challenges:
 * the gateway keeps every line of protocol logic (startup, TLS, errors, relay),
 * the agent stays a byte carrier plus a small calculator, and what crosses the
 * link — the user name, an md5 response salted by the target, SCRAM client
 * messages, MySQL scramble answers, an SSH signature over one session's
 * userauth request — is useless to replay elsewhere. The password or key
 * itself never leaves the agent; a target that asks for the password in
 * cleartext is refused by the gateway.
 */
export interface HeldCredential {
  user: string;
  password?: string;
  /** SSH: the private key, decrypted with its passphrase when the file is read. */
  sshKey?: ParsedKey;
  /** MySQL caching_sha2_password: the only RSA key the agent encrypts the password to. */
  serverPublicKey?: KeyObject;
}

export class AgentCredentials {
  readonly #byTarget = new Map<string, HeldCredential>();

  /** `baseDir`: where relative key paths are read from (the credentials file's folder). Throws on a bad entry. */
  constructor(entries: Record<string, unknown>, baseDir = process.cwd()) {
    for (const [target, v] of Object.entries(entries)) {
      this.#byTarget.set(target.trim().toLowerCase(), held(target, v, baseDir));
    }
  }

  get size(): number {
    return this.#byTarget.size;
  }

  get(host: string, port: number): HeldCredential | undefined {
    const h = host.toLowerCase();
    return this.#byTarget.get(h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`);
  }
}

function held(target: string, v: unknown, baseDir: string): HeldCredential {
  const c = (v ?? {}) as { user?: unknown; password?: unknown; privateKey?: unknown; passphrase?: unknown; serverPublicKey?: unknown };
  const bad = (why: string) => new WardenError('bad_request', `credentials for "${target}": ${why}`);
  if (typeof c.user !== 'string' || c.user === '') throw bad('need a user (string)');
  if (c.password !== undefined && typeof c.password !== 'string') throw bad('the password must be a string');
  if (c.password === undefined && c.privateKey === undefined) throw bad('need a password or a privateKey');
  const out: HeldCredential = { user: c.user, ...(c.password === undefined ? {} : { password: c.password }) };
  if (c.privateKey !== undefined) {
    if (typeof c.privateKey !== 'string' || (c.passphrase !== undefined && typeof c.passphrase !== 'string')) throw bad('privateKey and passphrase must be strings');
    const parsed = ssh2.utils.parseKey(pemOrFile(c.privateKey, baseDir, bad), c.passphrase as string | undefined);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (key === undefined || key instanceof Error || !key.isPrivateKey()) throw bad(`privateKey is not a readable private key${key instanceof Error ? ` (${key.message})` : ''}`);
    out.sshKey = key;
  }
  if (c.serverPublicKey !== undefined) {
    if (typeof c.serverPublicKey !== 'string') throw bad('serverPublicKey must be a string');
    try {
      out.serverPublicKey = createPublicKey(pemOrFile(c.serverPublicKey, baseDir, bad));
    } catch (err) {
      if (err instanceof WardenError) throw err;
      throw bad('serverPublicKey is not a PEM public key');
    }
  }
  return out;
}

function pemOrFile(value: string, baseDir: string, bad: (why: string) => WardenError): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(resolve(baseDir, value), 'utf8');
  } catch (err) {
    throw bad(`cannot read ${value}: ${(err as Error).message}`);
  }
}

/** The agent's side of a login: one answer per step, SCRAM state kept per stream. */
export function answerAuth(creds: AgentCredentials): AuthHandler {
  const scram = new WeakMap<object, ReturnType<typeof sasl.startSession>>();
  return async (stream, host, port, body) => {
    const c = creds.get(host, port);
    // fail closed: no entry, no answer; the gateway tells the user which target lacks one.
    if (c === undefined) throw new Error(`the agent holds no credentials for ${host}:${port}; add it to the agent's --credentials file`);
    const step = decodeAuthStep(body);
    const answer: AuthAnswer<AuthStep['op']> = await answerStep(step, c, `${host}:${port}`, scram, stream);
    return { ok: true, ...answer };
  };
}

async function answerStep(
  step: AuthStep,
  c: HeldCredential,
  target: string,
  scram: WeakMap<object, ReturnType<typeof sasl.startSession>>,
  stream: object,
): Promise<AuthAnswer<AuthStep['op']>> {
  const password = (): string => {
    if (c.password === undefined) throw new Error(`the agent holds a private key, not a password, for ${target}`);
    return c.password;
  };
  const bytes = (b64: string) => Buffer.from(b64, 'base64');
  switch (step.op) {
    case 'user':
      return { user: c.user };
    case 'md5': {
      const salt = bytes(step.salt);
      if (salt.length !== 4) throw new Error('an md5 step needs a 4-byte salt');
      return { response: await pgCrypto.postgresMd5PasswordHash(c.user, password(), salt) };
    }
    case 'sasl-start': {
      password();
      const session = sasl.startSession(step.mechanisms);
      scram.set(stream, session);
      return { mechanism: session.mechanism, response: session.response };
    }
    case 'sasl-continue': {
      const session = scram.get(stream);
      if (session === undefined) throw new Error('SCRAM continue without a start');
      await sasl.continueSession(session, password(), step.data);
      return { response: session.response };
    }
    case 'sasl-final': {
      const session = scram.get(stream);
      scram.delete(stream);
      if (session === undefined) throw new Error('SCRAM final without a start');
      // The target proves it knew the password too; a wrong signature throws here.
      sasl.finalizeSession(session, step.data);
      return {};
    }
    case 'mysql-scramble':
      return { response: answerScramble(step.plugin, password(), bytes(step.scramble)).toString('base64') };
    case 'mysql-rsa-password':
      return { response: answerRsaPassword(password(), c.serverPublicKey, bytes(step.nonce), step.publicKey, target).toString('base64') };
    case 'ssh-key':
      // fail closed: an SSH password is sent inside the SSH connection, which the gateway terminates: it would see it.
      if (c.sshKey === undefined) {
        throw new Error(
          `the agent holds a password, not a private key, for ${target}; SSH logins with agent-held credentials use public-key authentication ` +
            '(a password would be sent inside the SSH connection the gateway terminates): put privateKey: <path or PEM> in its --credentials entry',
        );
      }
      return { user: c.user, publicKey: publicKeyLine(c.sshKey) };
    case 'ssh-sign':
      if (c.sshKey === undefined) throw new Error(`the agent holds no private key for ${target}`);
      return { signature: signUserauth(c.sshKey, c.user, bytes(step.data)).toString('base64') };
  }
}
