import { cleanEnv, runWarden } from '../../src/cli/testing.ts';
import { issueToken } from '../../src/core/identity/index.ts';
import { newId } from '../../src/core/ids.ts';
import { allowAll } from '../../src/core/policy/types.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';

/**
 * What the `warden replay` tests share: a private sshd, a gateway allowing everything with an SSH
 * connection `box` to it (gateway `config` merged in), a user `bob` and an auditor `ada` with
 * their tokens, and `replay` running the real CLI against the gateway.
 */
export interface ReplaySetup {
  sshd: TestSshd;
  t: TestGatewayWithMysql;
  bob: string;
  auditor: string;
  replay(args: string[], token: string): ReturnType<typeof runWarden>;
  stop(): Promise<void>;
}

export async function startReplaySetup(config: Record<string, unknown> = {}): Promise<ReplaySetup> {
  const sshd = await startTestSshd();
  const t = await startTestGateway({ policy: allowAll, config });
  const bob = await t.user('bob');
  const u = await t.gw.core.users.create({ id: newId('usr'), name: 'ada', role: 'auditor', groups: [], createdAt: new Date() });
  const auditor = (await issueToken(t.gw.core, u.id, { name: 'test' })).token;
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  return {
    sshd,
    t,
    bob,
    auditor,
    replay: (args, token) => runWarden(['replay', ...args], { env: cleanEnv({ WARDEN_URL: t.apiUrl, WARDEN_TOKEN: token }) }),
    async stop() {
      await t.stop();
      await sshd.stop();
    },
  };
}
