import type { ConnectConfig, ParsedKey, SignCallback, SigningRequestOptions } from 'ssh2';
import type { TargetCredential } from '../../core/access/index.ts';
import type { WardenError } from '../../core/errors.ts';
import { agentAsker, agentLabel, type AskAgent } from '../../transport/agent-auth-steps.ts';
import { ssh2 } from './ssh2.ts';

/**
 * How the gateway logs in to an SSH target: with the vaulted password or
 * private key, or — for a connection whose credentials its agent holds — by
 * public key with the agent signing. Only the connect options differ; the
 * upstream (upstream.ts) is the same for both.
 *
 * Why no password through the agent: an SSH password travels inside the SSH
 * connection, which the gateway terminates (it reads the session to apply
 * policy), so the gateway would see it. A signature over the userauth request
 * binds to one connection's session id and reveals nothing of the key.
 */
export interface SshLogin {
  options: Pick<ConnectConfig, 'username' | 'password' | 'privateKey' | 'passphrase' | 'agent'>;
  /** What to tell the user when the target refuses the login. */
  refusedHint: string;
}

type Fail = (why: string) => WardenError;

export function vaultSshLogin(credential: TargetCredential, fail: Fail): SshLogin {
  if (credential.password === null && credential.privateKey === undefined) throw fail('the connection has no stored password or private key; an admin sets one');
  return {
    options: {
      username: credential.username,
      ...(credential.privateKey !== undefined
        ? { privateKey: credential.privateKey, ...(credential.passphrase !== undefined ? { passphrase: credential.passphrase } : {}) }
        : { password: credential.password! }),
    },
    refusedHint: 'ask an admin to check the stored credential',
  };
}

/** Asks the agent on `stream` for the user and public key; ssh2 then asks it to sign through `AgentSigner`. */
export async function agentSshLogin(stream: unknown, agent: string | null, fail: Fail): Promise<SshLogin> {
  const ask = agentAsker(stream, agent, fail);
  const { user, publicKey } = await ask({ op: 'ssh-key' });
  const key = ssh2.utils.parseKey(publicKey);
  if (key instanceof Error || Array.isArray(key)) throw fail(`${agentLabel(agent)} answered with a public key Warden cannot read`);
  return {
    options: { username: user, agent: new AgentSigner(key, ask) },
    refusedHint: `check that the target accepts the key ${agentLabel(agent)} holds for it (--credentials)`,
  };
}

/**
 * ssh2's agent interface over the tunnel: one identity (the agent's public
 * key), and every signature computed by the agent. A refusal reaches ssh2 as
 * an agent error, which the upstream reports with the agent's words.
 */
class AgentSigner extends ssh2.BaseAgent<ParsedKey> {
  readonly #key: ParsedKey;
  readonly #ask: AskAgent;

  constructor(key: ParsedKey, ask: AskAgent) {
    super();
    this.#key = key;
    this.#ask = ask;
  }

  getIdentities(cb: (err?: Error | null, keys?: ParsedKey[]) => void): void {
    cb(null, [this.#key]);
  }

  sign(_key: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    // The agent reads the algorithm (and so the hash) from the signed data itself.
    const done = typeof options === 'function' ? options : cb!;
    this.#ask({ op: 'ssh-sign', data: data.toString('base64') }).then(
      (a) => done(null, Buffer.from(a.signature, 'base64')),
      (err: Error) => done(err),
    );
  }
}
