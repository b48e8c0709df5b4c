import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { WardenConfig } from './config/schema.ts';
import { createAuditLog } from './core/audit/index.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { ensureBootstrapAdmin } from './core/identity/index.ts';
import { createMetrics } from './core/metrics.ts';
import { createHash } from 'node:crypto';
import { createMaskingServices } from './core/masking/service.ts';
import { createPolicyService } from './core/policy/service.ts';
import { createNotifier, createReviewService } from './core/review/index.ts';
import { createLiteralMasker } from './core/review/literals.ts';
import { createReviewSweeper } from './core/review/sweep.ts';
import { policyFromConfig } from './core/policy/setup.ts';
import type { PolicyEngine } from './core/policy/types.ts';
import { createPostgresClassifier, initSql, type PgParser } from './core/sql/index.ts';
import { createMysqlClassifier } from './core/sql/mysql/index.ts';
import { recordingsFromConfig } from './core/recording/from-config.ts';
import { createOutbound } from './transport/outbound.ts';
import type { DeviceClientDeps } from './core/identity/oidc/device.ts';
import type { CoreServices } from './core/services.ts';
import { LiveSessions } from './core/session/live.ts';
import { createRemoteCancels } from './core/session/remote-cancel.ts';
import { createRemoteKills } from './core/session/remote-kill.ts';
import { onReplica } from './core/session/replica.ts';
import { createVault, loadMasterKey } from './core/vault/index.ts';
import { buildApi } from './api/server.ts';
import type { ZodTypeProvider } from './api/zod.ts';
import { createPostgresProtocol } from './protocols/postgres/index.ts';
import { openStore } from './store/index.ts';
import { openEventBus } from './store/events.ts';
import { publishingRepos } from './store/publishing.ts';
import type { EventBus } from './core/events.ts';
import { AgentRegistry, agentRoutes, attachAgentEndpoint, createDialer, ReplicaDirectory } from './tunnel/index.ts';
import { newId } from './core/ids.ts';
import { packedCodecs, PackedDecoders } from './core/recording/packed.ts';
import { listen, type RunningListener } from './transport/listener.ts';
import { loadGatewayTls } from './transport/tls.ts';

/**
 * The one place that wires protocols, store, API and core together into a
 * running gateway.
 */
export interface GatewayHandle {
  core: CoreServices;
  /** Actual bound addresses (ports resolved when the config asked for 0). */
  addresses: { postgres?: { host: string; port: number }; mysql?: { host: string; port: number }; ssh?: { host: string; port: number }; api?: { host: string; port: number } };
  /** PEM of the certificate clients see, for pinning (`sslrootcert`). */
  tlsCertFile: string;
  /** Stops listeners, ends live sessions, flushes recordings, closes the store. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Called once when the store is new, with the bootstrap admin token. */
  onBootstrapToken?(token: string): void;
  logger?: Logger;
  clock?: Clock;
  policy?: PolicyEngine;
  env?: NodeJS.ProcessEnv;
}

export async function startGateway(config: WardenConfig, opts: GatewayOptions = {}): Promise<GatewayHandle> {
  // Logs go to stderr: stdout belongs to the CLI's own output (addresses, --json).
  const log = opts.logger ?? pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: false }));
  const clock = opts.clock ?? systemClock;
  const store = await openStore({ url: config.store.url, sqlitePath: join(config.dataDir, 'warden.db'), pgSchema: config.store.schema });
  const stops: (() => Promise<void>)[] = [() => store.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, 'error while stopping'));
  };
  try {
    // Cross-replica events (LISTEN/NOTIFY on a PostgreSQL store, in-process on SQLite); the wrapped repos publish them.
    const events = await openEventBus({ kind: store.kind, url: config.store.url, schema: config.store.schema, log: log.child({ module: 'events' }) });
    stops.push(() => events.close());
    const published = publishingRepos(store, events);
    const env = opts.env ?? process.env;
    const masterKey = await loadMasterKey({ env, keyFile: config.vault.masterKeyFile });
    const vault = createVault(masterKey);
    const sql = await initSql();
    const classifier = createPostgresClassifier(sql);
    // Config rules are validated whole (a bad one stops the start); rules applied through the API live in the store.
    const configRules = policyFromConfig(config.policy, classifier).rules;
    const policyService = await createPolicyService({ classifier, mysqlClassifier: createMysqlClassifier(), configRules, repo: published.policy, clock });
    const policyProblem = policyService.current().problem;
    // fail closed: an unusable stored policy blocks every request; the API stays up so an admin can apply a fixed one.
    if (policyProblem !== undefined) log.error({ problem: policyProblem }, 'stored policy is invalid; every request is blocked until `warden policy apply` fixes it');
    if (store.kind === 'postgres') {
      // Replicas share the store: pick up rules another replica applied.
      const timer = setInterval(() => void policyService.refresh(), 5_000);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }
    const policy = opts.policy ?? policyService;
    // Links in notifications and the OIDC redirect URI: the configured public URL, else the API's address once it listens.
    let publicUrl = config.reviews.publicUrl.replace(/\/$/, '') || `http://${config.listeners.api.host}:${config.listeners.api.port}`;
    // The gateway's own HTTP calls (webhooks, IdPs, S3) through the network's proxy when HTTP(S)_PROXY say so.
    const outbound = createOutbound(env);
    const reviews = createReviews(config, { store, clock, log, sql, env, publicUrl: () => publicUrl, events, fetch: outbound.fetch });
    stops.push(() => reviews.flush());
    const live = new LiveSessions();
    // Pending reviews expire; lapsed grants that ask for it end the sessions that ran under them.
    const sweeper = createReviewSweeper({ reviews, live, clock, log: log.child({ module: 'reviews' }) });
    const expiry = setInterval(() => void sweeper.sweep().catch((err: unknown) => log.error({ err }, 'review sweep failed')), config.reviews.sweepIntervalMs);
    expiry.unref();
    stops.push(async () => clearInterval(expiry));
    const tls = await loadGatewayTls({ ...config.tls, dataDir: config.dataDir });
    // Agents dial out to this gateway; sessions to their connections ride their links.
    const agents = new AgentRegistry(clock);
    // A fresh id per process: sessions are stored with it, so a replica that outlives this one can end those it cut off.
    const replicaId = newId('rep');
    const metrics = createMetrics();
    const recordings = await recordingsFromConfig(config.recording, env, log.child({ module: 'recordings' }), {
      shipped: (bytes) => metrics.recordingShippedBytes.inc(bytes),
      failed: () => metrics.recordingShipFailures.inc(),
    }, outbound.agentFor, packedDecoders());
    await recordings.start();
    // Pushed before the listeners: stops run in reverse, so sessions end (and close their recordings) first.
    stops.push(() => recordings.stop());
    const core: CoreServices = {
      config,
      clock,
      log,
      users: store.users,
      tokens: published.tokens,
      sshKeys: store.sshKeys,
      connections: store.connections,
      sessions: onReplica(store.sessions, replicaId),
      recordings: recordings.storage,
      vault,
      policy,
      policyService,
      reviews,
      audit: createAuditLog({ repo: store.audit, clock, log: log.child({ module: 'audit' }) }),
      metrics,
      masking: createMaskingServices(sql, masterKey, clock),
      live,
      dialer: createDialer({ registry: agents, agentWaitMs: config.agents.waitMs }),
    };
    // Optional parts are imported when configured: each costs megabytes of RSS
    // (openid-client, node-saml, ssh2 and the shell parser, the MySQL grammar) a gateway
    // without them should not carry.
    if (config.identity.oidc !== undefined) {
      const { oidcFromConfig, oidcWebFromConfig } = await import('./core/identity/oidc/index.ts');
      // openid-client types its fetch's body narrower than the DOM's; the same function at run time.
      const idpFetch = outbound.fetch as unknown as NonNullable<DeviceClientDeps['fetch']>;
      const web = oidcWebFromConfig(config.identity.oidc, env, {
        ...core,
        loginStates: store.loginStates,
        idpBindings: store.idpBindings,
        log: log.child({ module: 'oidc' }),
        publicUrl: () => publicUrl,
        fetch: idpFetch,
      });
      core.oidc = oidcFromConfig(config.identity.oidc, env, { ...core, bindRefresh: web.bindRefresh, fetch: idpFetch });
      core.oidcWeb = web.web;
      core.idpRecheck = web.recheck;
    }
    // SAML state in the store: a response may come back to any replica, and a replay is refused on all of them.
    if (config.identity.saml !== undefined) core.saml = await (await import('./core/identity/saml/index.ts')).samlFromConfig(config.identity.saml, { ...core, samlState: store.saml, fetch: outbound.fetch });
    const bootstrap = await ensureBootstrapAdmin(core);
    if (bootstrap) opts.onBootstrapToken?.(bootstrap.token);

    const addresses: GatewayHandle['addresses'] = {};
    const listeners: RunningListener[] = [];
    stops.push(async () => {
      await Promise.all(listeners.map((l) => l.close()));
    });
    if (config.listeners.postgres.enabled) {
      // A CancelRequest may land on any replica: passed to the one holding the session over the event bus.
      const remoteCancels = createRemoteCancels({ events, masterKey, clock });
      const l = await listen(createPostgresProtocol({ remoteCancels }), core, { ...config.listeners.postgres, tls });
      listeners.push(l);
      addresses.postgres = { host: l.host, port: l.port };
    }
    if (config.listeners.mysql.enabled) {
      const { createMysqlProtocol } = await import('./protocols/mysql/index.ts');
      // A KILL may land on any replica (the CLI's Ctrl-C is a new connection): asked of the others over the
      // event bus when replicas share a PostgreSQL store; one SQLite gateway has no one to ask.
      const remoteKills = store.kind === 'postgres' ? createRemoteKills({ events }) : undefined;
      const l = await listen(createMysqlProtocol({ ...(remoteKills && { remoteKills }) }), core, { ...config.listeners.mysql, tls });
      listeners.push(l);
      addresses.mysql = { host: l.host, port: l.port };
    }
    if (config.listeners.ssh.enabled) {
      // The SSH host key is generated in the data dir on first start.
      const { createSshProtocol } = await import('./protocols/ssh/index.ts');
      const l = await listen(createSshProtocol({ dataDir: config.dataDir }), core, { ...config.listeners.ssh, tls });
      listeners.push(l);
      addresses.ssh = { host: l.host, port: l.port };
    }
    if (config.listeners.api.enabled) {
      const api = await buildApi(core, config.tls.api ? { tls: { cert: tls.certPem, key: tls.keyPem } } : {});
      // This replica in the shared store, announced to agents so they link to every replica.
      const replicas = new ReplicaDirectory({
        repo: store.replicas,
        clock,
        log: log.child({ module: 'replicas' }),
        self: { id: replicaId, name: config.replica },
        heartbeatMs: config.agents.replicaHeartbeatMs,
        ttlMs: 3 * config.agents.replicaHeartbeatMs,
      });
      agentRoutes(api.withTypeProvider<ZodTypeProvider>(), { agents: published.agents, registry: agents, clock, replicas });
      await api.listen({ host: config.listeners.api.host, port: config.listeners.api.port });
      const address = api.server.address();
      addresses.api = { host: config.listeners.api.host, port: typeof address === 'object' && address ? address.port : config.listeners.api.port };
      if (config.reviews.publicUrl === '') publicUrl = `${config.tls.api ? 'https' : 'http'}://${addresses.api.host}:${addresses.api.port}`;
      stops.push(() => api.close());
      // Agents connect over WebSocket on the API's port (see src/tunnel/server.ts); closed before the API.
      const apiHost = addresses.api.host.includes(':') ? `[${addresses.api.host}]` : addresses.api.host;
      await replicas.start(config.agents.advertiseUrl || `${config.tls.api ? 'https' : 'http'}://${apiHost}:${addresses.api.port}`);
      await events.publish({ type: 'replicas.changed' });
      const endpoint = attachAgentEndpoint(api.server, { agents: store.agents, registry: agents, clock, log: log.child({ module: 'agents' }), heartbeatMs: config.agents.heartbeatMs, replicas });
      stops.push(async () => endpoint.close());
      // Runs before the endpoint closes: the row goes first, so agents told by other replicas stop redialing this one.
      stops.push(async () => {
        await replicas.stop();
        await events.publish({ type: 'replicas.changed' });
      });
      // Other replicas' news, heard at once: each handler re-reads the store, so repeats are harmless.
      events.subscribe((e) => {
        if (e.type === 'replicas.changed') void replicas.refresh();
      });
    }
    events.subscribe((e) => {
      if (e.type === 'policy.changed') void policyService.refresh();
      // A revoked token ends the sessions it opened, on every replica (new ones are refused by authentication).
      if (e.type === 'token.revoked' && live.killByToken(e.tokenId, 'the token was revoked') > 0) log.info({ token: e.tokenId }, 'ended sessions of a revoked token');
      if (e.type === 'agent.revoked') agents.drop(e.agent, 'agent token revoked');
    });
    log.info({ addresses, replica: config.replica, store: store.kind }, 'gateway started');
    let stopped: Promise<void> | undefined;
    return { core, addresses, tlsCertFile: tls.certFile, stop: () => (stopped ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The review workflow: store-backed, notifying through the configured channels. */
/**
 * Readers of the protocols' packed records (core/recording/packed.ts), each loaded when a
 * recording first holds one: a recording stays readable whatever listeners this run enables.
 */
export function packedDecoders(): PackedDecoders {
  return new PackedDecoders()
    .register(packedCodecs.postgres, async () => (await import('./protocols/postgres/packed-events.ts')).postgresPackedDecoder)
    .register(packedCodecs.mysql, async () => (await import('./protocols/mysql/packed-events.ts')).mysqlPackedDecoder);
}

function createReviews(config: WardenConfig, d: { store: Awaited<ReturnType<typeof openStore>>; clock: Clock; log: Logger; sql: PgParser; env: NodeJS.ProcessEnv; publicUrl: () => string; events: EventBus; fetch: typeof fetch }) {
  const n = config.reviews.notifications;
  const notifier = createNotifier(
    {
      webhooks: n.webhooks.map((w) => ({ url: w.url, ...(w.secretEnv ? { secret: d.env[w.secretEnv] ?? '' } : {}) })),
      slack: n.slack,
      ...(n.smtp ? { smtp: { ...n.smtp, ...(n.smtp.user ? { user: n.smtp.user, pass: d.env[n.smtp.passwordEnv] ?? '' } : {}) } } : {}),
    },
    { log: d.log, clock: d.clock, fetch: d.fetch },
  );
  return createReviewService({
    repo: d.store.reviews,
    events: d.events,
    clock: d.clock,
    notifier,
    log: d.log.child({ module: 'reviews' }),
    // Queue mode runs "the same statement" again: the same text, literals included.
    fingerprint: (text) => createHash('sha256').update(text.trim()).digest('hex'),
    maskLiterals: createLiteralMasker(d.sql),
    // People follow the web page (sign-in, then Approve / Deny); machines keep the REST URLs under `api`.
    links: (id) => {
      const base = d.publicUrl();
      const page = `${base}/reviews/${encodeURIComponent(id)}`;
      const api = `${base}/api/v1/reviews/${id}`;
      return { view: page, approve: `${page}#approve`, deny: `${page}#deny`, api: { view: api, approve: `${api}/approve`, deny: `${api}/deny` } };
    },
    breakGlassGroups: config.reviews.breakGlassGroups,
    accessPolicy: {
      mode: 'hold',
      approverGroups: config.reviews.defaultApproverGroups,
      approvals: 1,
      eachGroup: false,
      timeoutMs: 60 * 60_000,
      approvalWindowMs: 0,
      maxRuns: 1,
      requireJustification: true,
      closeSessionsOnExpiry: config.reviews.access.closeSessionsOnExpiry,
    },
  });
}
