import type { TargetCredential } from '../../core/access/index.ts';
import type { WardenError } from '../../core/errors.ts';
import { agentAsker, agentLabel, type MysqlScramblePlugin } from '../../transport/agent-auth-steps.ts';
import { cachingSha2Scramble, passwordSha2Answers, type Sha2Answers } from './caching-sha2.ts';
import { ed25519Sign } from './ed25519.ts';
import { nativePassword } from './native-password.ts';

/**
 * Who answers the MySQL target's login challenges: the gateway with the
 * vaulted password, or the agent that holds it (`credentials: agent`). The
 * upstream's login (upstream.ts) is the same for both; only the answers come
 * from elsewhere. Every method throws the WardenError `fail` builds.
 */
export interface MysqlTargetAuth extends Sha2Answers {
  /** The user name for the HandshakeResponse. */
  user(): Promise<string>;
  /** The answer to the target's scramble for a scramble-based plugin. */
  scramble(plugin: MysqlScramblePlugin, scramble: Buffer): Promise<Buffer>;
  /** What to tell the user when the target refuses the login. */
  refusedHint: string;
}

type Fail = (why: string) => WardenError;

/** The vaulted password answers; `credential` is decrypted once per login and dropped with it. */
export function vaultMysqlAuth(credential: TargetCredential): MysqlTargetAuth {
  const { password } = credential;
  return {
    ...passwordSha2Answers(password),
    user: async () => credential.username,
    scramble: async (plugin, scramble) => scrambleAnswer(plugin, password, scramble),
    refusedHint: 'ask an admin to check the stored credential',
  };
}

/** The answer of `password` to `scramble`, for the plugins Warden speaks; shared with the agent. */
export function scrambleAnswer(plugin: MysqlScramblePlugin, password: string | null, scramble: Buffer): Buffer {
  switch (plugin) {
    case 'mysql_native_password':
      return nativePassword(password, scramble);
    // MariaDB signs the scramble with a key derived from the password; an empty password is still signed.
    case 'client_ed25519':
      return ed25519Sign(password ?? '', scramble);
    case 'caching_sha2_password':
      return cachingSha2Scramble(password, scramble);
  }
}

/**
 * The agent answers: what crosses the link is the user name and answers to
 * the target's scrambles (each bound to its random scramble), and for
 * caching_sha2_password's full authentication in the clear, the password
 * RSA-encrypted by the agent to the server key the agent itself pins.
 */
export function agentMysqlAuth(stream: unknown, agent: string | null, fail: Fail): MysqlTargetAuth {
  const ask = agentAsker(stream, agent, fail);
  const bytes = (b64: string) => Buffer.from(b64, 'base64');
  return {
    user: async () => (await ask({ op: 'user' })).user,
    scramble: async (plugin, scramble) => bytes((await ask({ op: 'mysql-scramble', plugin, scramble: scramble.toString('base64') })).response),
    sha2Scramble: async (nonce) => bytes((await ask({ op: 'mysql-scramble', plugin: 'caching_sha2_password', scramble: nonce.toString('base64') })).response),
    // fail closed: over TLS the server wants the password itself, which the gateway would then hold; refuse.
    cleartextPassword: async () => {
      throw fail(
        "the target wants caching_sha2_password's full authentication over TLS, which sends the password itself, and the agent keeps it to itself; " +
          'the fast path works once the server has cached the user (any login of it since the server started), or use mysql_native_password or ed25519 for this user',
      );
    },
    encryptedPassword: async (nonce, publicKey) =>
      bytes((await ask({ op: 'mysql-rsa-password', nonce: nonce.toString('base64'), publicKey: publicKey.toString('utf8') })).response),
    refusedHint: `check the credentials ${agentLabel(agent)} holds for it (--credentials)`,
  };
}
