import type { CatalogRelation, MaskingCatalog, RelationName } from './views.ts';

/** The gateway-owned second connection a catalog asks on. */
export interface SideConnection {
  end(): void;
  destroy(): void;
}

/**
 * A `MaskingCatalog` over one side connection, the part every protocol's catalog shares:
 * the connection is opened on first use, lookups run one at a time in the order asked, a
 * lookup that fails drops the connection (the next one opens a new connection), and
 * `close()` ends it and refuses later lookups. `retryOnce(err)`: a failure worth one more
 * try on a fresh connection — only for a connection that had been open before (the target
 * ended it while idle); a first connection that fails is an answer, not a glitch.
 */
export function sideConnectionCatalog<C extends SideConnection>(
  open: () => Promise<C>,
  lookup: (c: C, names: readonly RelationName[]) => Promise<CatalogRelation[]>,
  retryOnce: (err: unknown) => boolean = () => false,
): MaskingCatalog {
  let conn: Promise<C> | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const connection = (): Promise<C> => {
    conn ??= open();
    conn.catch(() => (conn = undefined));
    return conn;
  };

  const attempt = async (names: readonly RelationName[]): Promise<CatalogRelation[]> => {
    const c = await connection();
    try {
      return await lookup(c, names);
    } catch (err) {
      c.destroy();
      conn = undefined;
      throw err;
    }
  };

  const ask = async (names: readonly RelationName[]): Promise<CatalogRelation[]> => {
    if (closed) throw new Error('the session ended');
    const reused = conn !== undefined;
    try {
      return await attempt(names);
    } catch (err) {
      if (!reused || closed || !retryOnce(err)) throw err;
      return await attempt(names);
    }
  };

  return {
    relations(names) {
      const run = queue.then(() => ask(names));
      queue = run.catch(() => undefined);
      return run;
    },
    close() {
      closed = true;
      void conn?.then((c) => c.end(), () => undefined);
      conn = undefined;
    },
  };
}

/** Rows of a catalog answer, each value text or NULL. */
export type CatalogRows = (string | null)[][];

/**
 * The one lookup in flight on a side connection, settled once: by its answer, by a failure
 * (the connection closed, bad bytes), or by its timeout, which also calls `onTimeout` so the
 * connection is dropped. `S` is what the protocol collects while the answer arrives.
 */
export class PendingLookup<S> {
  #current: { state: S; resolve: (rows: CatalogRows) => void; reject: (err: Error) => void } | undefined;

  start(state: S, timeoutMs: number, onTimeout: () => void): Promise<CatalogRows> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(new Error('the catalog lookup timed out'));
        onTimeout();
      }, timeoutMs);
      timer.unref();
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.#current = { state, resolve: done(resolve), reject: done(reject) };
    });
  }

  /** What the lookup in flight has collected; undefined when none is. */
  get state(): S | undefined {
    return this.#current?.state;
  }

  /** Ends the lookup in flight (if any) with its rows or an error. */
  settle(result: CatalogRows | Error): void {
    const c = this.#current;
    this.#current = undefined;
    if (c === undefined) return;
    if (result instanceof Error) c.reject(result);
    else c.resolve(result);
  }
}
