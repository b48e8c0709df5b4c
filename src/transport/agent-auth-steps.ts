import type { WardenError } from '../core/errors.ts';

/**
 * The login steps a gateway asks of the agent that holds a connection's
 * credentials (`credentials: agent`), carried by `auth` frames as one JSON
 * object each way. Typed at both ends: the gateway sends an `AuthStep` and
 * gets back the answer type of that step's `op`; the agent decodes the step
 * and refuses anything else. Binary values travel as base64. No step returns
 * a password or a private key: each answer is bound to a challenge the target
 * chose (a salt, a scramble, the SSH session id).
 */
export type AuthStep =
  /** PostgreSQL, MySQL: the user name to log in as. */
  | { op: 'user' }
  | { op: 'md5'; salt: string }
  | { op: 'sasl-start'; mechanisms: string[] }
  | { op: 'sasl-continue'; data: string }
  | { op: 'sasl-final'; data: string }
  /** MySQL: the answer to the target's scramble for one of the scramble-based plugins. */
  | { op: 'mysql-scramble'; plugin: MysqlScramblePlugin; scramble: string }
  /** MySQL caching_sha2_password full authentication in the clear: the password RSA-OAEP-encrypted to the server's key. */
  | { op: 'mysql-rsa-password'; nonce: string; publicKey: string }
  /** SSH: the user name and the public key (an OpenSSH `type base64` line) of the agent's private key. */
  | { op: 'ssh-key' }
  /** SSH: a signature over the userauth request `data` (RFC 4252 §7: it starts with the session id). */
  | { op: 'ssh-sign'; data: string };

export type AuthOp = AuthStep['op'];
export const mysqlScramblePlugins = ['mysql_native_password', 'client_ed25519', 'caching_sha2_password'] as const;
export type MysqlScramblePlugin = (typeof mysqlScramblePlugins)[number];

/** The string fields each step's answer carries (besides `ok: true`). */
const answerFields = {
  user: ['user'],
  md5: ['response'],
  'sasl-start': ['mechanism', 'response'],
  'sasl-continue': ['response'],
  'sasl-final': [],
  'mysql-scramble': ['response'],
  'mysql-rsa-password': ['response'],
  'ssh-key': ['user', 'publicKey'],
  'ssh-sign': ['signature'],
} as const satisfies Record<AuthOp, readonly string[]>;

/** The answer to a step of op K (distributes over a union of ops). */
export type AuthAnswer<K extends AuthOp> = K extends AuthOp ? { [F in (typeof answerFields)[K][number]]: string } : never;

/** Agent side: the step in an auth frame's body. Throws on anything that is not one (the gateway sees the refusal). */
export function decodeAuthStep(body: Record<string, unknown>): AuthStep {
  const str = (k: string): string => {
    if (typeof body[k] !== 'string') throw new Error(`the auth step ${JSON.stringify(body['op'])} lacks "${k}"`);
    return body[k] as string;
  };
  const op = body['op'];
  switch (op) {
    case 'user':
    case 'ssh-key':
      return { op };
    case 'md5':
      return { op, salt: str('salt') };
    case 'sasl-start': {
      const m = body['mechanisms'];
      if (!Array.isArray(m) || !m.every((x) => typeof x === 'string')) throw new Error('the auth step "sasl-start" lacks "mechanisms"');
      return { op, mechanisms: m as string[] };
    }
    case 'sasl-continue':
    case 'sasl-final':
      return { op, data: str('data') };
    case 'mysql-scramble': {
      const plugin = str('plugin');
      if (!(mysqlScramblePlugins as readonly string[]).includes(plugin)) throw new Error(`unknown MySQL plugin ${JSON.stringify(plugin)}`);
      return { op, plugin: plugin as MysqlScramblePlugin, scramble: str('scramble') };
    }
    case 'mysql-rsa-password':
      return { op, nonce: str('nonce'), publicKey: str('publicKey') };
    case 'ssh-sign':
      return { op, data: str('data') };
    default:
      throw new Error(`unknown auth step ${JSON.stringify(op)}`);
  }
}

/** A stream that can ask the agent at its far end (a TunnelStream). */
interface Asking {
  ask(body: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export type AskAgent = <S extends AuthStep>(step: S) => Promise<AuthAnswer<S['op']>>;

/**
 * Gateway side: a typed `ask` over the stream to a target whose credentials
 * the agent holds. Every failure — no agent on this stream, the link gone, the
 * agent's refusal, an answer missing a field — is the WardenError `fail`
 * builds, so the session reports it like any other failed login.
 */
export function agentAsker(stream: unknown, agent: string | null, fail: (why: string) => WardenError): AskAgent {
  const who = agentLabel(agent);
  // fail closed: a connection whose credentials the agent holds is never tried without the agent.
  if (typeof (stream as Partial<Asking> | undefined)?.ask !== 'function') throw fail('its credentials are held by an agent (`credentials: agent`), but it is not served by one');
  const asking = stream as Asking;
  return async (step) => {
    const answer = await asking.ask({ ...step }).catch((err: Error) => {
      throw fail(`${who} did not answer the login: ${err.message}`);
    });
    if (answer['ok'] !== true) throw fail(typeof answer['message'] === 'string' ? answer['message'] : `${who} refused the login step`);
    const out: Record<string, string> = {};
    for (const f of answerFields[step.op] as readonly string[]) {
      if (typeof answer[f] !== 'string') throw fail(`${who} answered the login step "${step.op}" without "${f}"`);
      out[f] = answer[f] as string;
    }
    return out as AuthAnswer<(typeof step)['op']>;
  };
}

/** How messages name the agent: a connection served by an agent group has no one agent name. */
export function agentLabel(agent: string | null): string {
  return agent ? `agent "${agent}"` : 'the agent';
}
