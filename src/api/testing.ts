import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../config/load.ts';
import { createAuditLog } from '../core/audit/index.ts';
import { systemClock } from '../core/clock.ts';
import { issueToken } from '../core/identity/tokens.ts';
import type { Role } from '../core/identity/types.ts';
import { newId } from '../core/ids.ts';
import { createMetrics } from '../core/metrics.ts';
import { createPolicyService } from '../core/policy/service.ts';
import { allowAll } from '../core/policy/types.ts';
import { createDiskRecordings } from '../core/recording/disk.ts';
import { createReviewService, type RunningReviewService } from '../core/review/service.ts';
import type { CoreServices } from '../core/services.ts';
import { LiveSessions } from '../core/session/live.ts';
import { createPostgresClassifier, initSql } from '../core/sql/index.ts';
import { createVault } from '../core/vault/index.ts';
import { openStore } from '../store/index.ts';

/**
 * Real core services over a SQLite store and disk recordings in a temp dir,
 * for API and CLI tests. Not a test file itself; tests import it.
 */
export interface TestCore {
  core: CoreServices;
  dir: string;
  /** The real review service in `core.reviews` (flush() waits for background notifications). */
  reviews: RunningReviewService;
  /** Creates a user with a token; returns the token string. */
  userWithToken(name: string, role: Role, groups?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function createTestCore(): Promise<TestCore> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-api-'));
  const config = validateConfig({ dataDir: dir, logLevel: 'silent' }, 'test config');
  const store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'warden' });
  // The real policy service over the store; `policy` stays allow-all so tests that open sessions are not judged.
  const policyService = await createPolicyService({ classifier: createPostgresClassifier(await initSql()), configRules: [], repo: store.policy, clock: systemClock });
  const log = pino({ level: 'silent' });
  // The real review service over the store: access requests go to `dba`, `oncall` is break-glass, nothing is sent.
  const reviews = createReviewService({
    repo: store.reviews,
    clock: systemClock,
    log,
    notifier: { notify: async () => [] },
    fingerprint: (text) => text.trim(),
    maskLiterals: (text) => text,
    links: (id) => ({ view: `/reviews/${id}`, approve: `/reviews/${id}/approve`, deny: `/reviews/${id}/deny` }),
    breakGlassGroups: ['oncall'],
    pollIntervalMs: 20,
    accessPolicy: { mode: 'hold', approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 3_600_000, approvalWindowMs: 0, maxRuns: 0, requireJustification: true },
  });
  const core: CoreServices = {
    config,
    clock: systemClock,
    log,
    users: store.users,
    tokens: store.tokens,
    sshKeys: store.sshKeys,
    connections: store.connections,
    sessions: store.sessions,
    recordings: createDiskRecordings(config.recording.dir, { flushIntervalMs: 10 }),
    vault: createVault(randomBytes(32)),
    policy: allowAll,
    policyService,
    audit: createAuditLog({ repo: store.audit, clock: systemClock, log }),
    metrics: createMetrics(),
    live: new LiveSessions(),
    masking: { hashKey: randomBytes(32), lineage: () => [], facts: () => [], session: () => { throw new Error('API tests run no database sessions'); } },
    reviews,
  };
  return {
    core,
    dir,
    reviews,
    async userWithToken(name, role, groups = []) {
      const user = await core.users.create({ id: newId('usr'), name, role, groups, createdAt: core.clock.now() });
      return (await issueToken(core, user.id, { name: 'test' })).token;
    },
    async close() {
      await reviews.flush();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
