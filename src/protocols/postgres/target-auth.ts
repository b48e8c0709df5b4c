// pg's own SCRAM-SHA-256 and md5 client code: the same that the `pg` driver uses against real servers.
import sasl from 'pg/lib/crypto/sasl.js';
import pgCrypto from 'pg/lib/crypto/utils.js';
import type { TargetCredential } from '../../core/access/index.ts';
import type { WardenError } from '../../core/errors.ts';
import { agentAsker } from '../../transport/agent-auth-steps.ts';

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

/**
 * The agent answers: the password stays on the agent; what crosses the link is the user
 * name, the md5 response (salted by the target) and SCRAM messages.
 */
export function agentAuth(stream: unknown, agent: string, fail: Fail): TargetAuth {
  const ask = agentAsker(stream, agent, fail);
  return {
    user: async () => (await ask({ op: 'user' })).user,
    // fail closed: a cleartext password would have to cross the link; refuse instead.
    cleartext: async () => {
      throw fail('the target asks for a cleartext password, which the agent keeps to itself; use md5 or scram-sha-256 for this role');
    },
    md5: async (salt) => (await ask({ op: 'md5', salt: salt.toString('base64') })).response,
    saslStart: (mechanisms) => ask({ op: 'sasl-start', mechanisms }),
    saslContinue: async (data) => (await ask({ op: 'sasl-continue', data })).response,
    saslFinal: async (data) => void (await ask({ op: 'sasl-final', data })),
    refusedHint: `check the credentials agent "${agent}" holds for it (--credentials)`,
  };
}
