import { PendingLookup, sideConnectionCatalog, type CatalogRows } from '../../core/masking/side-catalog.ts';
import type { MaskingCatalog, RelationName } from '../../core/masking/views.ts';
import { forEachMessage, MessageFramer } from './codec/framing.ts';
import { queryMessage, terminateMessage } from './codec/frontend.ts';
import { dataRowValues, parseErrorFields } from './codec/results.ts';
import type { Upstream } from './upstream.ts';

/**
 * Masking's catalog port for PostgreSQL: a second, gateway-owned connection
 * to the target (same connection, same vaulted credential, opened on first
 * use) that reads `pg_class` and `pg_get_viewdef`, so lineage can see through
 * views. Nothing the client sends runs on it, and it only ever runs one
 * fixed SELECT over catalog functions with escaped literals. Each lookup is
 * one Query string that empties search_path with `SET LOCAL` first, which
 * makes `pg_get_viewdef` qualify every relation it names with its schema.
 * The setting is transaction-local on purpose, never session-wide: targets
 * that share one backend session between connections (PGlite behind
 * pglite-socket, which the demo uses) would otherwise see the client's own
 * search_path and read-only mode changed under it.
 *
 * One question at a time; a lookup that fails or takes longer than
 * `timeoutMs` rejects (masking then hides the results it concerns) and
 * drops the connection, and the next lookup opens a new one.
 */
export function createPgCatalog(open: () => Promise<Upstream>, timeoutMs: number): MaskingCatalog {
  return sideConnectionCatalog(
    () => open().then((u) => new Connection(u, timeoutMs)),
    async (c, names) =>
      (await c.query(relationsQuery(names))).map(([schema, name, definition, columns]) => ({
        schema: schema ?? '',
        name: name ?? '',
        definition: definition ?? undefined,
        columns: columns === null || columns === undefined ? undefined : (JSON.parse(columns) as string[]),
      })),
  );
}

/** An escape-string literal: correct whatever the target's standard_conforming_strings says. */
const literal = (s: string) => `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** Tables, views and the like with one of the names, their view definitions and column names (all schemas; the caller filters qualified names). */
function relationsQuery(names: readonly RelationName[]): string {
  const list = [...new Set(names.map((n) => n.name))].map(literal).join(', ');
  return (
    "set local search_path = ''; " +
    'select n.nspname, c.relname, ' +
    "case when c.relkind in ('v', 'm') then pg_catalog.pg_get_viewdef(c.oid) end, " +
    '(select pg_catalog.array_to_json(pg_catalog.array_agg(a.attname order by a.attnum))::text from pg_catalog.pg_attribute a ' +
    'where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) ' +
    'from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace ' +
    `where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and c.relname in (${list})`
  );
}

/** A minimal simple-query client over an established upstream. */
class Connection {
  readonly #u: Upstream;
  readonly #timeoutMs: number;
  readonly #framer = new MessageFramer();
  readonly #pending = new PendingLookup<{ rows: CatalogRows; error: string | undefined }>();

  constructor(u: Upstream, timeoutMs: number) {
    this.#u = u;
    this.#timeoutMs = timeoutMs;
    u.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    u.socket.on('error', () => undefined);
    u.socket.on('close', () => this.#pending.settle(new Error('the catalog connection closed')));
  }

  query(sql: string): Promise<CatalogRows> {
    const answer = this.#pending.start({ rows: [], error: undefined }, this.#timeoutMs, () => this.destroy());
    this.#u.socket.write(queryMessage(sql));
    return answer;
  }

  end(): void {
    if (!this.#u.socket.destroyed) this.#u.socket.end(terminateMessage());
  }

  destroy(): void {
    this.#u.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let buf: Buffer;
    try {
      buf = this.#framer.push(chunk);
    } catch (err) {
      this.#pending.settle(err as Error);
      this.destroy();
      return;
    }
    forEachMessage(buf, (type, start, end) => {
      const w = this.#pending.state;
      if (w === undefined) return;
      if (type === 0x44 /* D */) w.rows.push(dataRowValues(buf, start, undefined));
      else if (type === 0x45 /* E */) w.error ??= parseErrorFields(buf, start, end).M ?? 'error';
      else if (type === 0x5a /* Z */) this.#pending.settle(w.error !== undefined ? new Error(`catalog lookup failed: ${w.error}`) : w.rows);
    });
  }
}
