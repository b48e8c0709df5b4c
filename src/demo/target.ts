/**
 * The embedded PostgreSQL-compatible target of `warden demo`: PGlite (PostgreSQL
 * compiled to WebAssembly) served on a loopback TCP port by pglite-socket, so the
 * gateway, `psql` and the `pg` driver reach it like any PostgreSQL server.
 *
 * What it accepts (measured with PGlite 0.5 / pglite-socket 0.2):
 * - any user name and database name, no password (trust); the session is always
 *   user `postgres`, database `postgres`. Hence loopback only.
 * - no TLS: an SSLRequest is answered `N` (sslmode=prefer/disable work, require fails).
 * - simple and extended protocol; several connections at once, BUT they share one
 *   backend: statements run one at a time, and session state (named prepared
 *   statements, SET, temp tables) is shared — two clients preparing the same name
 *   collide (42P05). Transactions are kept apart by queueing the other clients.
 * - CancelRequest is swallowed: the query is not cancelled and the cancel
 *   connection is left open (libpq's PQcancel then waits for it to close).
 * - a query blocks the thread running PGlite (WebAssembly is synchronous), so
 *   PGlite runs in a worker thread (target-worker.mjs): `select pg_sleep(10)`
 *   stalls only the target, never the gateway sharing the process.
 */
import { Worker } from 'node:worker_threads';
import { WardenError } from '../core/errors.ts';

export interface DemoTargetOptions {
  /** Where PGlite keeps its files; undefined = in memory, gone on stop(). */
  dataDir?: string;
  /** Loopback only (127.0.0.1 by default, or ::1 / localhost). */
  host?: string;
  /** 0 or undefined = a free port chosen by the OS. */
  port?: number;
  /** Connections served at once (default 100); more get a plain-text refusal from pglite-socket. */
  maxConnections?: number;
  /** Called once if PGlite dies after start (the target is then gone; restart it). */
  onCrash?: (message: string) => void;
}

export interface DemoTarget {
  readonly host: string;
  readonly port: number;
  /** What to put in a connection to this target; any other name works too. */
  readonly database: 'postgres';
  readonly user: 'postgres';
  /**
   * Runs SQL text (several statements allowed) directly on PGlite, bypassing the
   * socket. Meant for setup before clients connect (e.g. `seedDemo(target.exec)`):
   * it is not isolated from a transaction a socket client holds open.
   */
  exec(sql: string): Promise<void>;
  /** Closes the listener, every client connection and PGlite, and ends the worker. Idempotent. */
  stop(): Promise<void>;
}

type FromWorker =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'crashed'; message: string }
  | { type: 'result'; id: number; error?: string }
  | { type: 'stopped' };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the demo target in a worker thread; resolves once it accepts connections. */
export async function startDemoTarget(opts: DemoTargetOptions = {}): Promise<DemoTarget> {
  const host = opts.host ?? '127.0.0.1';
  // fail closed: the target trusts every user name without a password.
  if (!LOOPBACK.has(host)) {
    throw new WardenError('bad_request', `the demo target accepts anyone without a password, so it only listens on loopback; use host 127.0.0.1 instead of ${host}`);
  }
  // pglite-socket's own default is 5432, which may be a real PostgreSQL: never fall back to it.
  const wanted = opts.port ?? 0;
  const worker = new Worker(new URL('./target-worker.mjs', import.meta.url), {
    workerData: { dataDir: opts.dataDir, host, port: wanted, maxConnections: opts.maxConnections ?? 100 },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  let onStopped: (() => void) | undefined;

  const port = await new Promise<number>((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      dead ??= new WardenError('upstream_unavailable', `the demo target stopped: ${message}; restart the demo`, { cause });
      for (const p of pending.values()) p.reject(dead);
      pending.clear();
      reject(new WardenError('bad_request', `the demo target could not start on ${host}:${wanted} (${message}); choose another port, or 0 for a free one`, { cause }));
    };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') resolve(msg.port);
      else if (msg.type === 'failed') fail(msg.message);
      else if (msg.type === 'crashed') {
        fail(msg.message);
        opts.onCrash?.(msg.message);
      }
      else if (msg.type === 'stopped') onStopped?.();
      else {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error === undefined) p?.resolve();
        else p?.reject(new WardenError('bad_request', `demo target: ${msg.error}`));
      }
    });
    worker.on('error', (err) => fail(err.message, err));
    worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  });

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    database: 'postgres',
    user: 'postgres',
    exec(sql) {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'exec', id, sql });
      });
    },
    stop() {
      stopping ??= (async () => {
        if (!dead) {
          await new Promise<void>((resolve) => {
            onStopped = resolve;
            worker.once('exit', () => resolve());
            worker.postMessage({ type: 'stop' });
          });
        }
        // Whatever the worker did, no thread outlives stop().
        await worker.terminate();
        await exited;
      })();
      return stopping;
    },
  };
}
