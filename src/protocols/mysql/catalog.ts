import { PendingLookup, sideConnectionCatalog, type CatalogRows } from '../../core/masking/side-catalog.ts';
import type { CatalogRelation, MaskingCatalog, RelationName } from '../../core/masking/views.ts';
import { com } from './codec/commands.ts';
import { parseErr } from './codec/generic.ts';
import { packet, PacketFramer } from './codec/packet.ts';
import { ResponseReader, textRowValues } from './codec/results.ts';
import type { Upstream } from './upstream.ts';

/**
 * Masking's catalog port for MySQL/MariaDB: what a name stands for (table or
 * view, the view's definition and column names) read from
 * information_schema over a second, gateway-owned connection to the target,
 * opened on first use with the session's vaulted credential (same
 * privileges, so the same views and definitions are visible).
 *
 * Why not the session's own connection: any statement there changes what
 * the client may ask next — FOUND_ROWS(), ROW_COUNT(), the warnings and
 * diagnostics area, the status flags of the next OK — and a lookup in the
 * middle of a LOCK TABLES or a read-only transaction may fail or take locks
 * the client did not ask for. A second connection changes none of them;
 * MySQL's DDL commits at once, so it sees the client's own CREATE VIEW as
 * soon as it completes (unlike PostgreSQL, where DDL can sit in an open transaction).
 *
 * Only fixed SELECTs over information_schema run on it, with each name as a
 * hex literal (nothing a name holds can end it, whatever sql_mode says).
 * MariaDB 10.11 has no VIEW_TABLE_USAGE/VIEW_COLUMN_USAGE, so the
 * definition is parsed (core/sql/mysql/views.ts). One question at a time;
 * a lookup that fails or takes longer than `timeoutMs` rejects (the
 * statement's lineage is then unknown and its results masked whole) and
 * drops the connection; the next lookup opens a new one.
 */
export function createMysqlCatalog(open: () => Promise<Upstream>, timeoutMs: number): MaskingCatalog {
  const lookup = async (c: Connection, names: readonly RelationName[]): Promise<CatalogRelation[]> => {
    const list = [...new Set(names.map((n) => n.name))].map(hexLiteral).join(', ');
    const found = (await c.query(relationsQuery(list))).map(([schema, name, type]) => ({ schema: schema ?? '', name: name ?? '', view: type === 'VIEW' }));
    // The common case, no view among the names: one lookup that opens no view.
    if (!found.some((r) => r.view)) return found.map((r) => ({ schema: r.schema, name: r.name, definition: undefined }));
    const details = await c.query(viewsQuery([...new Set(found.filter((r) => r.view).map((r) => r.name))].map(hexLiteral).join(', ')));
    return found.map((r) => {
      if (!r.view) return { schema: r.schema, name: r.name, definition: undefined };
      const definition = details.find((d) => d[0] === 'v' && d[1] === r.schema && d[2] === r.name)?.[3];
      // An empty definition (no SHOW VIEW privilege) is still a view: masked as unreadable.
      return { schema: r.schema, name: r.name, definition: definition ?? '', columns: columnsOf(details, r.schema, r.name) };
    });
  };
  // The target ends idle connections (wait_timeout, KILL): a lookup that found the
  // connection closed, before or while asking, is asked once more on a new one.
  return sideConnectionCatalog(() => open().then((u) => new Connection(u, timeoutMs)), lookup, (err) => err instanceof Closed);
}

/** A name as `convert(x'…' using utf8mb4)`: no quoting rule of the server can change where it ends. */
const hexLiteral = (s: string) => `convert(x'${Buffer.from(s, 'utf8').toString('hex')}' using utf8mb4)`;

/** Tables and views of those names in every schema (the caller filters qualified names). */
function relationsQuery(list: string): string {
  return `select TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE from information_schema.TABLES where TABLE_NAME in (${list})`;
}

/** Definitions (`v` rows) and column names (`c` rows) of the views of those names. */
function viewsQuery(list: string): string {
  return (
    `select 'v', TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, NULL from information_schema.VIEWS where TABLE_NAME in (${list}) ` +
    `union all select 'c', TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION from information_schema.COLUMNS where TABLE_NAME in (${list})`
  );
}

/** A view's column names in order; undefined when the catalog lists none (then its columns are unknown). */
function columnsOf(rows: (string | null)[][], schema: string, name: string): string[] | undefined {
  const mine = rows.filter((r) => r[0] === 'c' && r[1] === schema && r[2] === name).sort((a, b) => Number(a[4]) - Number(b[4]));
  return mine.length === 0 ? undefined : mine.map((r) => r[3] ?? '');
}

/** A minimal COM_QUERY client over an established upstream: text rows only. */
class Connection {
  readonly #u: Upstream;
  readonly #timeoutMs: number;
  readonly #framer = new PacketFramer(64 * 1024 * 1024);
  readonly #pending = new PendingLookup<{ reader: ResponseReader; rows: CatalogRows; error: string | undefined }>();

  constructor(u: Upstream, timeoutMs: number) {
    this.#u = u;
    this.#timeoutMs = timeoutMs;
    u.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    u.socket.on('error', () => undefined);
    u.socket.on('close', () => this.#pending.settle(new Closed()));
    // fail closed: bytes the target sent unasked after login leave the connection's state unknown.
    if (u.leftover.length > 0) this.destroy();
    u.socket.resume();
  }

  query(sql: string): Promise<CatalogRows> {
    if (this.#u.socket.destroyed) return Promise.reject(new Closed());
    const answer = this.#pending.start({ reader: new ResponseReader('result'), rows: [], error: undefined }, this.#timeoutMs, () => this.destroy());
    this.#u.socket.write(packet(0, Buffer.concat([Buffer.from([com.query]), Buffer.from(sql, 'utf8')])));
    return answer;
  }

  end(): void {
    if (!this.#u.socket.destroyed) this.#u.socket.end(packet(0, Buffer.from([com.quit])));
    setTimeout(() => this.#u.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.#u.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      for (const p of this.#framer.push(chunk)) {
        const w = this.#pending.state;
        // A packet nobody asked for (an answer starts at sequence 1) is the target ending the
        // connection: ER_CONNECTION_KILLED, MySQL 8's idle timeout.
        if (w === undefined || p.seq === 0) throw new Closed();
        const role = w.reader.next(p.payload);
        if (role === 'row') w.rows.push(textRowValues(p.payload));
        else if (role === 'err') w.error = parseErr(p.payload).message;
        else if (role === 'infile') throw new Error('the target asked for a file');
        if (w.reader.done) this.#pending.settle(w.error !== undefined ? new Error(`catalog lookup failed: ${w.error}`) : w.rows);
      }
    } catch (err) {
      this.#pending.settle(err as Error);
      this.destroy();
    }
  }
}

/** The catalog connection was closed by the target (or was already): worth one more try on a new one. */
class Closed extends Error {
  constructor() {
    super('the catalog connection closed');
  }
}
