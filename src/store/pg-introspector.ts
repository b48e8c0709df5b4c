import { sql, type DatabaseIntrospector, type DatabaseMetadata, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

/**
 * Kysely's introspection for the PostgreSQL store, looking at the store's own schema only.
 *
 * Why not Kysely's PostgresIntrospector: its `getTables` reads every table of every schema in the
 * database and calls `pg_get_serial_sequence('schema.table', …)` on each, which looks the schema
 * up by name. A schema dropped anywhere in the database while that query runs (another Warden's,
 * a test run's) then fails it with 3F000 "schema … does not exist", and the migrator asks
 * `getTables` before every migration run: a gateway refused to start. Measured with two loops
 * creating and dropping schemas beside it, 7 of 20 fresh stores failed to open. Here every
 * lookup goes by OID (`format_type`, `pg_get_expr`), never by name, and only `schema` is read.
 */
export class SchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>;
  readonly #schema: string;

  constructor(db: Kysely<any>, schema: string) {
    this.#db = db;
    this.#schema = schema;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.#schema}`.execute(this.#db);
    return rows;
  }

  /** Tables and views of the store's schema, with their columns (Kysely's own tables too: the migrator looks for them). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select c.relname as table, c.relkind in ('v', 'm') as is_view, a.attname as column,
             pg_catalog.format_type(a.atttypid, a.atttypmod) as data_type, not a.attnotnull as nullable,
             a.atthasdef as has_default,
             (a.attidentity <> '' or coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') like 'nextval(%') as auto
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where n.nspname = ${this.#schema} and c.relkind in ('r', 'p', 'v', 'm')
       order by c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<string, TableMetadata>();
    for (const r of rows) {
      let t = tables.get(r.table);
      if (t === undefined) tables.set(r.table, (t = { name: r.table, schema: this.#schema, isView: r.is_view, columns: [] }));
      t.columns.push({ name: r.column, dataType: r.data_type, isNullable: r.nullable, hasDefaultValue: r.has_default, isAutoIncrementing: r.auto });
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

interface ColumnRow {
  table: string;
  is_view: boolean;
  column: string;
  data_type: string;
  nullable: boolean;
  has_default: boolean;
  auto: boolean;
}
