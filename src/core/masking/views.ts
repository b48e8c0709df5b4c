import { clockMs, type Clock } from '../clock.ts';
import { Lru } from '../sql/lru.ts';
import { RecentTexts } from '../sql/recent-texts.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageWithViews, UnknownRelation, viewLineage, type LineageEntry, type ViewResolver } from './lineage.ts';

/**
 * What SessionLineage needs from a SQL dialect: its lineage with a view
 * resolver, and how its names and catalogs behave. PostgreSQL's is
 * `pgViewDialect`; MySQL's lives with its parser (core/sql/mysql/views.ts).
 */
export interface ViewDialect {
  /** Per statement of `text`, its lineage through `views`; undefined for one naming a relation the resolver cannot tell. Throws for text it cannot parse. */
  statements(text: string, views: ViewResolver): (LineageEntry[] | undefined)[];
  /** A view's columns with their lineage. Throws UnknownRelation when a relation inside is not known; any other throw: unreadable, fail closed. */
  view(view: CatalogRelation, views: ViewResolver): LineageEntry[];
  /** Per-text cache key: texts sharing a key must have the same lineage. */
  key(text: string): string;
  /** Relation names compare case-insensitively (MySQL on a case-insensitive file system): every case variant is a candidate. */
  readonly foldCase: boolean;
  /**
   * What a name the catalog does not list stands for. `unknown` (PostgreSQL:
   * a relation created in the open transaction, which the catalog connection
   * cannot see yet); `table` (MySQL: DDL commits at once, so an unlisted name
   * is a TEMPORARY table — views cannot be temporary — or does not exist).
   */
  readonly absent: 'unknown' | 'table';
}

export function pgViewDialect(parser: PgParser): ViewDialect {
  return {
    statements: (text, views) => lineageWithViews(parser, text, views),
    view: (v, views) => viewLineage(parser, v.definition ?? '', views),
    key: (text) => pgLineageKey(parser, text),
    foldCase: false,
    absent: 'unknown',
  };
}

/**
 * A PostgreSQL text's lineage cache key: its statement key, the text with
 * literals replaced by PostgreSQL's own scanner — the classification cache's
 * key, computed once per statement (`PgParser.statementKey`). Lineage never
 * depends on a literal's value, so texts differing only in literals may share
 * it. Text normalize throws for is its own key behind a NUL, which no wire
 * text holds, so it shares no entry with a normalised text (it has no lineage).
 */
export function pgLineageKey(parser: PgParser, text: string): string {
  try {
    return parser.statementKey(text);
  } catch {
    return `\u0000${text}`;
  }
}

/** A relation as a query names it; `schema` undefined: left to search_path. */
export interface RelationName {
  schema: string | undefined;
  name: string;
}

/** A relation the target's catalog holds: a table (no definition) or a view with its defining query. */
export interface CatalogRelation {
  schema: string;
  name: string;
  /** The view's query with every relation schema-qualified; undefined for a table. */
  definition: string | undefined;
  /** Column names in order, when the catalog tells (COPY of a whole table does not name them on the wire). */
  columns?: string[] | undefined;
}

/**
 * The port through which masking learns what a name stands for on the
 * target (PostgreSQL: pg_class + pg_get_viewdef over a catalog connection).
 * `relations` resolves with every relation named like one of `names` (in any
 * schema when a name has none) and rejects when the catalog cannot be read.
 */
export interface MaskingCatalog {
  relations(names: readonly RelationName[]): Promise<CatalogRelation[]>;
  close(): void;
}

/** A text's lineage as cached: as of `generation` and `epoch`, computed at `at`. */
interface TextLineage {
  generation: number;
  epoch: number;
  at: number;
  lineage: (LineageEntry[] | undefined)[];
}

interface Known {
  candidates: CatalogRelation[];
  generation: number;
  at: number;
}

const keyOf = (schema: string | undefined, name: string) => `${schema ?? ''}\u0000${name}`;

/**
 * One session's lineage, seeing through views. `learn(text)` (async, before
 * the statement reaches the target) asks the catalog about every relation the
 * text names and every relation inside those views' definitions; `lineage(text)`
 * (sync, when the result arrives) then inlines them.
 *
 * fail closed: a statement naming a relation that was not learned — the
 * catalog failed, the relation does not exist for other sessions yet (created
 * in this transaction), or the schema may have changed since (DDL went through
 * this session, and its transaction has not ended) — gets `undefined` lineage,
 * and the caller hides the whole result.
 *
 * An unqualified name is resolved against every schema (the session's
 * search_path is not known here): all candidates' columns count, which can
 * only mask more. Learned names are asked again after `ttlMs` to catch views
 * changed outside the gateway; until then the learned definition is used.
 */
export class SessionLineage {
  readonly #dialect: ViewDialect;
  readonly #catalog: MaskingCatalog;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #known = new Map<string, Known>();
  /** Per text (up to literals), its lineage as of `generation` and `epoch`; only lineage with no unknown statement. */
  readonly #texts = new Lru<string, TextLineage>(500);
  /** The text `#texts` was last read or written for, and its entry there then (see `#cached`). */
  #lastText: string | undefined;
  #lastEntry: TextLineage | undefined;
  #generation = 0;
  /** Bumped whenever the catalog answered: a definition may have changed, so cached texts are computed again. */
  #epoch = 0;
  /** Keys of the session's last texts: learn and lineage ask for the same text in turn, and prepared statements come back. */
  readonly #keys = new RecentTexts<string>(8);
  /** DDL completed and its transaction has not ended: the catalog connection may not see it yet. */
  #dirty = false;

  constructor(dialect: ViewDialect, catalog: MaskingCatalog, clock: Clock, ttlMs: number) {
    this.#dialect = dialect;
    this.#catalog = catalog;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** A promise while the catalog must be asked; undefined when `text`'s lineage is known and fresh (the hot path). */
  learn(text: string): Promise<void> | undefined {
    const cached = this.#cached(text);
    if (cached !== undefined && cached.generation === this.#generation && cached.epoch === this.#epoch && this.#now() - cached.at < this.#ttlMs) return undefined;
    return this.#learn(text);
  }

  /** Per statement of `text`, its lineage through views; `undefined` for a statement whose relations are not known. */
  lineage(text: string): (LineageEntry[] | undefined)[] {
    if (this.#dirty) return this.#strict(text); // not cached: every answer is "unknown" until the transaction ends
    const cached = this.#cached(text);
    if (cached !== undefined && cached.generation === this.#generation && cached.epoch === this.#epoch) return cached.lineage;
    const lineage = this.#strict(text);
    const key = this.#key(text);
    // An unknown statement is not kept: the next learn asks the catalog again. Nor is an unparseable
    // text (no statement): whatever else shares its key never gets its "no lineage".
    if (key.length <= 16_384 && lineage.length > 0 && !lineage.includes(undefined)) {
      const entry = { generation: this.#generation, epoch: this.#epoch, at: this.#now(), lineage };
      this.#texts.set(key, entry);
      this.#lastText = text;
      this.#lastEntry = entry;
    }
    return lineage;
  }

  /**
   * The columns of the one table `name` stands for, in order, as learned;
   * undefined when unknown, ambiguous (several schemas) or not a table.
   */
  tableColumns(schema: string | undefined, name: string): string[] | undefined {
    const known = this.#known.get(keyOf(schema, name));
    if (this.#dirty || known === undefined || known.generation !== this.#generation || known.candidates.length !== 1) return undefined;
    const only = known.candidates[0]!;
    return only.definition === undefined ? only.columns : undefined;
  }

  /** A statement that may change relations (DDL) completed. */
  schemaChanged(): void {
    this.#dirty = true;
  }

  /** The session is outside any transaction: what it changed is now visible to the catalog connection. */
  idle(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#generation++;
  }

  close(): void {
    this.#catalog.close();
  }

  async #learn(text: string): Promise<void> {
    const asked = new Set<string>();
    // Each round learns one more level of nested views; PostgreSQL views cannot nest in a cycle.
    for (let round = 0; round < 16; round++) {
      const missing = new Map<string, RelationName>();
      try {
        this.#dialect.statements(text, this.#collecting(missing));
      } catch {
        return; // unparseable: no lineage either way (content detectors still apply)
      }
      for (const k of asked) missing.delete(k); // asked already this time: not found, stays unknown
      if (missing.size === 0) {
        this.lineage(text); // cached now, so the next learn of this text (and its result) costs no parse
        return;
      }
      // Taken before asking: a schema change that lands while the catalog answers makes the answer stale.
      const generation = this.#generation;
      const at = this.#now();
      let found: CatalogRelation[];
      try {
        found = await this.#catalog.relations([...missing.values()]);
      } catch {
        return; // fail closed: lineage() reports these relations unknown
      }
      this.#epoch++;
      const same = this.#dialect.foldCase ? (a: string, b: string) => a.toLowerCase() === b.toLowerCase() : (a: string, b: string) => a === b;
      for (const [k, r] of missing) {
        asked.add(k);
        const candidates = found.filter((c) => same(c.name, r.name) && (r.schema === undefined || same(c.schema, r.schema)));
        this.#known.set(k, { candidates, generation, at });
      }
    }
  }

  /** A resolver that notes every name not learned fresh, and treats it as a table to walk on. */
  #collecting(missing: Map<string, RelationName>): ViewResolver {
    const now = this.#now();
    const resolve: ViewResolver = (schema, name) => {
      const k = keyOf(schema, name);
      const known = this.#known.get(k);
      if (known === undefined || known.generation !== this.#generation || now - known.at >= this.#ttlMs) {
        missing.set(k, { schema, name });
        return undefined;
      }
      return this.#columns(known, name, resolve);
    };
    return resolve;
  }

  #strict(text: string): (LineageEntry[] | undefined)[] {
    const resolve: ViewResolver = (schema, name) => {
      const known = this.#known.get(keyOf(schema, name));
      // fail closed: not learned, learned before a schema change, or not found by the catalog (unless the dialect says that is a table).
      if (this.#dirty || known === undefined || known.generation !== this.#generation) throw new UnknownRelation(name);
      if (known.candidates.length === 0) {
        if (this.#dialect.absent === 'table') return undefined;
        throw new UnknownRelation(name);
      }
      return this.#columns(known, name, resolve);
    };
    try {
      return this.#dialect.statements(text, resolve);
    } catch {
      return [];
    }
  }

  /**
   * What a name stands for: undefined when every candidate is a table; else
   * the views' columns (with the view itself as a source, for rules naming
   * the view), plus the whole row of any table of the same name.
   */
  #columns(known: Known, name: string, resolve: ViewResolver): LineageEntry[] | undefined {
    const views = known.candidates.filter((c) => c.definition !== undefined);
    if (views.length === 0) return undefined;
    const out: LineageEntry[] = [];
    for (const v of views) {
      let cols: LineageEntry[];
      try {
        cols = this.#dialect.view(v, resolve);
      } catch (err) {
        if (err instanceof UnknownRelation) throw err;
        throw new UnknownRelation(name); // a definition we cannot parse: fail closed
      }
      for (const c of cols) {
        const own = { schema: v.schema, table: v.name, column: c.name };
        const same = out.find((o) => o.name === c.name && o.star !== true);
        if (same !== undefined) same.sources.push(...c.sources, own);
        else out.push({ name: c.name, sources: [...c.sources, own] });
      }
    }
    for (const t of known.candidates.filter((c) => c.definition === undefined)) out.push({ name: '*', star: true, sources: [{ schema: t.schema, table: t.name, column: '*' }] });
    return out;
  }

  /**
   * `#texts`' entry for `text`'s key. For the text of the last read or write (a statement's
   * `learn`, then its result's `lineage`), the entry then, without the key or the map: nothing was
   * inserted since (a write sets `#lastText` to its own text), so the map holds that very entry and
   * reading it would not move it in the LRU order either: the same answer, two lookups fewer.
   */
  #cached(text: string): TextLineage | undefined {
    if (text === this.#lastText) return this.#lastEntry;
    const entry = this.#texts.get(this.#key(text));
    this.#lastText = text;
    this.#lastEntry = entry;
    return entry;
  }

  /** The text's cache key. */
  #key(text: string): string {
    let key = this.#keys.get(text);
    if (key === undefined) {
      key = this.#dialect.key(text);
      this.#keys.set(text, key);
    }
    return key;
  }

  #now(): number {
    return clockMs(this.#clock);
  }
}
