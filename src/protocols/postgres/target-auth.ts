// pg's own SCRAM-SHA-256 and md5 client code: the same that the `pg` driver uses against real servers.
import sasl from 'pg/lib/crypto/sasl.js';
import pgCrypto from 'pg/lib/crypto/utils.js';
import type { TargetCredential } from '../../core/access/index.ts';
import type { WardenError } from '../../core/errors.ts';

/**
 * Who answers the target's login challenges: the gateway with the vaulted
 * credential, or the agent that holds the credential itself (`credentials:
 * agent`). The upstream's login loop is the same for both; only the answers
 * come from elsewhere. Every method throws the WardenError `fail` builds.
 */
export interface TargetAuth {
  /** The user name for the StartupMessage. */
  user(): Promise<string>;
  cleartext(): Promise<string>;
  md5(salt: Buffer): Promise<string>;
  saslStart(mechanisms: string[]): Promise<{ mechanism: string; response: string }>;
  saslContinue(serverData: string): Promise<string>;
  saslFinal(serverData: string): Promise<void>;
  /** What to tell the user when the target refuses the login. */
  refusedHint: string;
}

type Fail = (why: string) => WardenError;

export function vaultAuth(credential: TargetCredential, fail: Fail): TargetAuth {
  const password = (): string => {
    if (credential.password === null) throw fail('the target asks for a password and the connection has none stored');
    return credential.password;
  };
  let scram: ReturnType<typeof sasl.startSession> | undefined;
  return {
    user: async () => credential.username,
    cleartext: async () => password(),
    md5: (salt) => pgCrypto.postgresMd5PasswordHash(credential.username, password(), salt),
    async saslStart(mechanisms) {
      password();
      scram = sasl.startSession(mechanisms);
      return { mechanism: scram.mechanism, response: scram.response };
    },
    async saslContinue(data) {
      if (!scram) throw fail('unexpected SASL continue');
      await sasl.continueSession(scram, password(), data);
      return scram.response;
    },
    async saslFinal(data) {
      if (!scram) throw fail('unexpected SASL final');
      sasl.finalizeSession(scram, data);
    },
    refusedHint: 'ask an admin to check the stored credential',
  };
}

/** A stream that can ask the agent at its far end (a tunnel stream). */
interface Asking {
  ask(body: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * The agent answers: the password stays on the agent; what crosses the link is the user
 * name, the md5 response (salted by the target) and SCRAM messages.
 */
export function agentAuth(stream: unknown, agent: string, fail: Fail): TargetAuth {
  // fail closed: a connection whose credentials the agent holds is never tried without the agent.
  if (typeof (stream as Partial<Asking>).ask !== 'function') throw fail('its credentials are held by an agent (`credentials: agent`), but it is not served by one');
  const asking = stream as Asking;
  const ask = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const answer = await asking.ask(body).catch((err: Error) => {
      throw fail(`agent "${agent}" did not answer the login: ${err.message}`);
    });
    if (answer['ok'] !== true) throw fail(typeof answer['message'] === 'string' ? answer['message'] : `agent "${agent}" refused the login step`);
    return answer;
  };
  const text = (a: Record<string, unknown>, k: string): string => {
    if (typeof a[k] !== 'string') throw fail(`agent "${agent}" answered the login without "${k}"`);
    return a[k] as string;
  };
  return {
    user: async () => text(await ask({ op: 'user' }), 'user'),
    // fail closed: a cleartext password would have to cross the link; refuse instead.
    cleartext: async () => {
      throw fail('the target asks for a cleartext password, which the agent keeps to itself; use md5 or scram-sha-256 for this role');
    },
    md5: async (salt) => text(await ask({ op: 'md5', salt: salt.toString('base64') }), 'response'),
    async saslStart(mechanisms) {
      const a = await ask({ op: 'sasl-start', mechanisms });
      return { mechanism: text(a, 'mechanism'), response: text(a, 'response') };
    },
    saslContinue: async (data) => text(await ask({ op: 'sasl-continue', data }), 'response'),
    saslFinal: async (data) => void (await ask({ op: 'sasl-final', data })),
    refusedHint: `check the credentials agent "${agent}" holds for it (--credentials)`,
  };
}
