import type { Socket } from 'node:net';
import { authorizeSession, type AuthorizedTarget } from '../../core/access/index.ts';
import { asWardenError } from '../../core/errors.ts';
import type { ListenerContext } from '../../core/protocol.ts';
import type { CoreServices } from '../../core/services.ts';
import { openJournal } from '../../core/session/journal.ts';
import { acceptLogin, forwardedStartupParams, type LoginResult } from './auth.ts';
import { authOk, backendKeyData, errorResponse, readyForQuery } from './codec/backend.ts';
import type { CancelKeys } from './cancel.ts';
import { toErrorResponse } from './errors.ts';
import { createPgCatalog } from './catalog.ts';
import { StatementTracker } from './events.ts';
import { createGatekeeper } from './gatekeeper.ts';
import { Relay } from './relay.ts';
import { openUpstream, type Upstream } from './upstream.ts';

/**
 * One PostgreSQL client session: login → authorize → open the target →
 * relay until either side ends, recording as it goes. Every failure is
 * answered in the client's wire format and ends only this session.
 */
export async function runSession(socket: Socket, ctx: ListenerContext, core: CoreServices, cancelKeys: CancelKeys): Promise<void> {
  const log = core.log.child({ protocol: 'postgres', client: ctx.clientAddress });
  let login: LoginResult;
  try {
    login = await acceptLogin(socket, ctx.tls);
  } catch (err) {
    const e = asWardenError(err);
    log.info({ reason: e.message }, 'startup refused');
    core.metrics.errors.inc({ protocol: 'postgres', kind: e.kind });
    socket.end(toErrorResponse(e, 'FATAL'));
    return;
  }
  if (login.kind === 'cancel') {
    // Here, or on the replica that minted the key; a wrong key is ignored silently, as PostgreSQL does.
    cancelKeys.cancel(login.processId, login.secretKey);
    socket.end();
    return;
  }

  const client = login.stream;
  let target: AuthorizedTarget;
  let upstream: Upstream;
  try {
    target = await authorizeSession(core, { user: login.user, token: login.token }, login.database, 'postgres');
    const params: Record<string, string> = {};
    for (const k of forwardedStartupParams) if (login.params[k] !== undefined) params[k] = login.params[k]!;
    upstream = await openUpstream(target, params, core.config.upstreamConnectTimeoutMs, core.dialer);
  } catch (err) {
    const e = asWardenError(err);
    log.info({ user: login.user, connection: login.database, kind: e.kind, reason: e.message }, 'session refused');
    core.metrics.errors.inc({ protocol: 'postgres', kind: e.kind });
    client.end(toErrorResponse(e, 'FATAL'));
    return;
  }

  await relaySession({ core, ctx, client, login, target, upstream, cancelKeys });
}

interface Established {
  core: CoreServices;
  ctx: ListenerContext;
  client: Socket;
  login: Extract<LoginResult, { kind: 'login' }>;
  target: AuthorizedTarget;
  upstream: Upstream;
  cancelKeys: CancelKeys;
}

async function relaySession({ core, ctx, client, login, target, upstream, cancelKeys }: Established): Promise<void> {
  const { identity, connection } = target;
  const journal = await openJournal(core, target, 'postgres', ctx.clientAddress);
  // Masking sees through views by asking the target's catalog, on a second connection opened only if needed.
  const timeoutMs = core.config.upstreamConnectTimeoutMs;
  const views = core.masking.session(createPgCatalog(() => openUpstream(target, { application_name: 'warden-catalog' }, timeoutMs, core.dialer), timeoutMs));
  const tracker = new StatementTracker(
    (event) => journal.statement(event),
    { maxRows: core.config.recording.maxRowsPerStatement, maxBytes: core.config.recording.maxBytesPerStatement },
    core.clock,
    core.masking,
    views,
    (record, durationMs) => journal.packed(record, durationMs),
  );
  const sessionEnded = new AbortController();
  const gate = createGatekeeper(core, identity, connection, (b) => client.write(b), sessionEnded.signal);
  const key = cancelKeys.mint({ address: upstream.address, processId: upstream.processId, secretKey: upstream.secretKey, dialer: core.dialer, cancelHeld: gate.cancelHeld });

  let endReason = '';
  let cleanup = () => {};
  const ended = new Promise<void>((resolve) => {
    const relay = new Relay(client, upstream.socket, {
      decide: gate.decide,
      decideNow: gate.decideNow,
      review: gate.review,
      tracker,
      onBytes: (inBytes, outBytes) => journal.bytes(inBytes, outBytes),
      onEnd: (reason) => {
        endReason = reason;
        // A client that went away gives up its held statement; a gateway shutdown leaves the review pending and decidable.
        if (!ctx.shutdown.aborted) gate.cancelHeld();
        sessionEnded.abort();
        resolve();
      },
    });
    const terminate = (reason: string) => relay.end(reason, errorResponse({ severity: 'FATAL', code: '57P01', message: `terminating connection: ${reason}` }));
    cleanup = journal.live(terminate, ctx.shutdown);
    client.write(Buffer.concat([authOk(), ...upstream.parameterStatus, backendKeyData(key.processId, key.secretKey), readyForQuery('I')]));
    relay.start(login.leftover, upstream.leftover);
  });
  await ended;

  cleanup();
  key.release();
  tracker.flush(endReason);
  views.close();
  await journal.end(endReason);
}

