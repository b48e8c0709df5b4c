import type { AuthContext } from 'ssh2';
import { WardenError } from '../../core/errors.ts';
import { verifySshKey, type SshKeyDeps, type SshKeyProof } from '../../core/identity/ssh-keys.ts';

/**
 * How login looks on the SSH wire. The SSH user name carries both the Warden
 * user and the connection — `ssh -p 2222 alice@web-1@gateway` — because
 * unmodified `ssh`, `scp` and `sftp` send only a user name; the split is at
 * the last `@`, so Warden user names may themselves contain `@`. The user
 * proves who they are with an SSH key registered to them (`publickey`,
 * signature checked by core/identity) or with the Warden token as the
 * password (method `password`, or `keyboard-interactive` for clients that
 * only prompt).
 */
export interface SshLogin {
  user: string;
  connection: string;
}

/** Throws WardenError('bad_request') when the user name does not name a connection. */
export function parseLoginName(username: string): SshLogin {
  const at = username.lastIndexOf('@');
  const user = username.slice(0, at);
  const connection = username.slice(at + 1);
  if (at <= 0 || connection === '') {
    throw new WardenError('bad_request', `log in as <warden user>@<connection>, e.g. \`ssh -p 2222 alice@web-1@gateway\` (got "${username}")`);
  }
  return { user, connection };
}

/** The methods the gateway offers, in the order clients should try them. */
export const offeredMethods = ['publickey', 'password', 'keyboard-interactive'] as const;

/**
 * What one authentication attempt presents: a token, a signed key (a login
 * attempt), or an unsigned key (the client asking whether it may sign with
 * it, which is not a login and not counted as a failure); undefined for a
 * method that carries nothing (`none`, `hostbased`).
 */
export type Presented = { kind: 'token'; token: string } | { kind: 'key-query'; key: Buffer } | { kind: 'key'; proof: SshKeyProof };

export async function presented(ctx: AuthContext): Promise<Presented | undefined> {
  if (ctx.method === 'publickey') {
    if (ctx.signature === undefined || ctx.blob === undefined) return { kind: 'key-query', key: ctx.key.data };
    const proof: SshKeyProof = { key: ctx.key.data, signed: ctx.blob, signature: ctx.signature };
    if (ctx.hashAlgo !== undefined) proof.hashAlgo = ctx.hashAlgo;
    return { kind: 'key', proof };
  }
  const token = await tokenOf(ctx);
  return token === undefined ? undefined : { kind: 'token', token };
}

/**
 * The keyboard-interactive prompt says "Password" because OpenSSH tries that
 * method before `password`, and tools such as sshpass answer prompts that
 * look like a password prompt.
 *
 * The token the client presents with this attempt; undefined for a method
 * that carries none (the caller rejects it and offers `offeredMethods`).
 */
export function tokenOf(ctx: AuthContext): Promise<string | undefined> {
  if (ctx.method === 'password') return Promise.resolve(ctx.password);
  if (ctx.method === 'keyboard-interactive') {
    return new Promise((resolve) => ctx.prompt([{ prompt: 'Password (your Warden token): ', echo: false }], (answers) => resolve(answers[0])));
  }
  return Promise.resolve(undefined);
}

/** Whether the key is registered to the user the login names; false for any error (fail closed). */
export async function answerKeyQuery(core: SshKeyDeps, username: string, key: Buffer): Promise<boolean> {
  try {
    await verifySshKey(core, parseLoginName(username).user, key);
    return true;
  } catch {
    return false;
  }
}
