import { verifyToken } from '../../core/identity/index.ts';
import type { CoreServices } from '../../core/services.ts';
import { com } from './codec/commands.ts';
import { errPayload, okPayload, serverStatus } from './codec/generic.ts';
import { packet } from './codec/packet.ts';
import type { LoginResult } from './auth.ts';
import { StatementTracker } from './events.ts';
import { answerKill } from './kill-handler.ts';
import { PacketReader } from './packet-reader.ts';
import type { MysqlShared } from './session.ts';

/**
 * A login without a database: no connection, no target — only `KILL`.
 * The `mariadb` CLI cancels a query on Ctrl-C from a second connection
 * opened with an empty database, so the gateway accepts such a login (the
 * token is still verified) and answers KILL through the session directory
 * (own sessions only); every other command gets ERR 1046 telling the user to
 * name a connection. Nothing here reaches a target but the mapped KILL.
 */
const idleMs = 60_000;
const noDb = { code: 1046, sqlstate: '3D000', message: 'no database given: the database names the Warden connection (-D <connection> or -D <connection>/<schema>)' };

export async function runControlSession(core: CoreServices, login: LoginResult, shared: MysqlShared): Promise<void> {
  const client = login.stream;
  const log = core.log.child({ protocol: 'mysql', user: login.user });
  // Throws WardenError (access_denied) on a bad token: the caller answers it like any refused login.
  const who = await verifyToken(core, login.token, login.user);
  client.write(packet(login.nextSeq, okPayload({ status: serverStatus.autocommit })));
  // There is no session to record into: the KILL is logged instead.
  const tracker = new StatementTracker(
    (e) => log.info({ statement: e.text, verdict: e.verdict?.effect, error: e.error }, 'KILL without a session'),
    { maxRows: 0, maxBytes: 0 },
    core.clock,
    core.masking.hashKey,
  );
  const ctx = { classifier: shared.classifier, directory: shared.directory, who, tracker, timeoutMs: core.config.upstreamConnectTimeoutMs, dialer: core.dialer, remote: shared.remoteKills };
  if (login.leftover.length) client.unshift(login.leftover);
  const reader = new PacketReader(client, 1 << 20);
  try {
    for (;;) {
      const p = await reader.next(AbortSignal.timeout(idleMs));
      const cmd = p.payload[0];
      if (cmd === com.quit) break;
      let answer: Buffer;
      if (cmd === com.ping) answer = okPayload({ status: serverStatus.autocommit });
      else if (cmd === com.query) answer = (await answerKill(ctx, p.payload.toString('utf8', 1))) ?? errPayload(noDb);
      else answer = errPayload(noDb);
      client.write(packet(p.seq + 1, answer));
    }
  } catch {
    // The client went away, idled out or sent garbage: only this connection ends.
  } finally {
    reader.detach();
    client.end();
  }
}
