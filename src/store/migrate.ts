import { Migrator, type Kysely, type Migration } from 'kysely';
import { WardenError } from '../core/errors.ts';
import { initial } from './migrations/0001_initial.ts';
import { policy } from './migrations/0002_policy.ts';
import { reviews } from './migrations/0003_reviews.ts';
import { agents } from './migrations/0004_agents.ts';
import { identity } from './migrations/0005_identity.ts';
import { sshKeys } from './migrations/0006_ssh_keys.ts';
import { replicas } from './migrations/0007_replicas.ts';
import { webLogin } from './migrations/0008_web_login.ts';
import { sessionReplica } from './migrations/0009_session_replica.ts';
import { agentGroups } from './migrations/0010_agent_groups.ts';
import type { StoreKind } from './schema.ts';

/**
 * Migrations ship in the code (no directory scan), so the bundled CLI and the
 * tests see exactly the same list. Names sort in the order they run; append only.
 */
export function migrationsFor(kind: StoreKind): Record<string, Migration> {
  return {
    '0001_initial': initial(kind),
    '0002_policy': policy(kind),
    '0003_reviews': reviews(kind),
    '0004_agents': agents(kind),
    '0005_identity': identity(kind),
    '0006_ssh_keys': sshKeys(kind),
    '0007_replicas': replicas(kind),
    '0008_web_login': webLogin(kind),
    '0009_session_replica': sessionReplica(kind),
    '0010_agent_groups': agentGroups(kind),
  };
}

/** Brings the schema up to date; concurrent gateways are serialised by Kysely's migration lock. */
export async function migrateToLatest(db: Kysely<any>, kind: StoreKind, pgSchema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrationsFor(kind) },
    // Kysely looks for its bookkeeping tables in every schema; name ours, or another Warden schema's would be taken for it.
    ...(kind === 'postgres' && pgSchema ? { migrationTableSchema: pgSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    // fail closed: a gateway never runs on a half-migrated store.
    throw new WardenError('internal', `store migration ${failed} failed; fix the database and restart the gateway`, {
      cause: error,
    });
  }
}
