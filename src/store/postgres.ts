import { Kysely, PostgresDialect, sql, type DatabaseIntrospector } from 'kysely';
import pg from 'pg';
import { WardenError } from '../core/errors.ts';
import { SchemaIntrospector } from './pg-introspector.ts';

const schemaName = /^[a-z_][a-z0-9_]*$/;

/**
 * The shared store: every table lives in `schema`, chosen per connection with
 * search_path, so several Wardens (or test runs) can share one database.
 */
export async function openPostgres(url: string, schema: string): Promise<Kysely<any>> {
  if (!schemaName.test(schema)) {
    throw new WardenError('bad_request', `store schema "${schema}" is not a plain lower-case SQL identifier; pick one like "warden"`);
  }
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 10 });
  // An idle client's network error must not crash the gateway; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<any>({ dialect: new OneSchemaDialect({ pool }, schema) });
  try {
    await createSchema(db, schema);
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    if (rows[0]?.schema !== schema) {
      // fail closed: tables would land in the wrong schema.
      throw new WardenError('bad_request', `the store URL overrides search_path (current schema is "${rows[0]?.schema}"); remove "options" from store.url`);
    }
  } catch (err) {
    await db.destroy();
    if (err instanceof WardenError) throw err;
    throw new WardenError('upstream_unavailable', `cannot reach the PostgreSQL store: ${(err as Error).message}; check store.url`, {
      cause: err,
    });
  }
  return db;
}

async function createSchema(db: Kysely<any>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    // Two gateways starting together can both pass "if not exists"; the loser sees a duplicate.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/** PostgresDialect whose introspection reads the store's schema alone (pg-introspector.ts says why). */
class OneSchemaDialect extends PostgresDialect {
  readonly #schema: string;

  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], schema: string) {
    super(config);
    this.#schema = schema;
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.#schema);
  }
}
