import { afterAll, beforeAll, beforeEach } from 'vitest';
import { connect } from 'node:net';
import pg from 'pg';
import { realPg, type TestGateway } from '../helpers/gateway.ts';

/**
 * Shared pieces of the review end-to-end suites: the REST calls an approver
 * makes, a fixture table on the machine's PostgreSQL, a pg client through the
 * gateway that collects notices, and a held statement whose settling can be
 * watched without waiting on it.
 */

export interface ApiReply {
  status: number;
  body: Record<string, any>;
}

/** One REST call with a bearer token; JSON in, JSON out. */
export async function api(t: { apiUrl: string }, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiReply> {
  const res = await fetch(`${t.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export const approve = (t: { apiUrl: string }, token: string, id: string, reason?: string) =>
  api(t, token, 'POST', `/api/v1/reviews/${id}/approve`, reason === undefined ? {} : { reason });
export const deny = (t: { apiUrl: string }, token: string, id: string, reason: string) => api(t, token, 'POST', `/api/v1/reviews/${id}/deny`, { reason });
export const showReview = (t: { apiUrl: string }, token: string, id: string) => api(t, token, 'GET', `/api/v1/reviews/${id}`);

/** A table of its own on the machine's PostgreSQL (db test), reset per test and dropped at the end. */
export class Fixture {
  readonly direct = new pg.Client(realPg);
  constructor(readonly table: string) {}
  async create(): Promise<void> {
    await this.direct.connect();
    await this.direct.query(`drop table if exists ${this.table}; create table ${this.table} (id int primary key, v text)`);
  }
  async reset(): Promise<void> {
    await this.direct.query(`truncate ${this.table}; insert into ${this.table} values (1, 'a'), (2, 'b'), (3, 'c')`);
  }
  async ids(): Promise<number[]> {
    return (await this.direct.query(`select id from ${this.table} order by id`)).rows.map((r) => r.id as number);
  }
  async drop(): Promise<void> {
    await this.direct.query(`drop table if exists ${this.table}`).catch(() => undefined);
    await this.direct.end().catch(() => undefined);
  }
}

/** A pg client through the gateway that keeps every notice and never crashes the run on a socket error. */
export class GatewayClient {
  readonly client: pg.Client;
  readonly notices: string[] = [];
  readonly errors: Error[] = [];
  /** The text of the last "waiting for approval" notice heldReview() consumed. */
  lastHoldNotice = '';
  #noticeWaiters: (() => void)[] = [];

  constructor(port: number, user: string, token: string, database: string) {
    this.client = new pg.Client({ host: '127.0.0.1', port, user, password: token, database });
    this.client.on('notice', (n) => {
      this.notices.push(n.message ?? '');
      for (const w of this.#noticeWaiters.splice(0)) w();
    });
    this.client.on('error', (e) => this.errors.push(e));
  }

  async connect(): Promise<this> {
    await this.client.connect();
    return this;
  }

  /** The cancel key the gateway gave this session (BackendKeyData). */
  get keys(): { processID: number; secretKey: number } {
    return this.client as unknown as { processID: number; secretKey: number };
  }

  /** Resolves with the review id of the next "waiting for approval" notice (bounded). */
  async heldReview(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const notice = this.notices.find((m) => /waiting for approval: review R-\d+/.test(m));
      if (notice !== undefined) {
        this.notices.splice(0, this.notices.length);
        this.lastHoldNotice = notice;
        return /review (R-\d+)/.exec(notice)![1]!;
      }
      if (Date.now() > deadline) throw new Error(`no "waiting for approval" notice; notices: ${JSON.stringify(this.notices)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#noticeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Starts a statement without awaiting it; `settled` tells whether it has finished yet. */
  start(text: string): Pending {
    return new Pending(this.client.query(text));
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** A statement in flight: its outcome, and whether it has one yet. */
export class Pending {
  settled = false;
  readonly outcome: Promise<{ ok: true; result: pg.QueryResult } | { ok: false; error: { code?: string; message: string } }>;
  constructor(p: Promise<pg.QueryResult>) {
    this.outcome = p.then(
      (result) => ({ ok: true as const, result }),
      (error: { code?: string; message: string }) => ({ ok: false as const, error }),
    );
    void this.outcome.finally(() => (this.settled = true));
  }
  async result(): Promise<pg.QueryResult> {
    const o = await this.outcome;
    if (!o.ok) throw new Error(`expected the statement to run, it failed: ${o.error.code} ${o.error.message}`);
    return o.result;
  }
  async error(): Promise<{ code?: string; message: string }> {
    const o = await this.outcome;
    if (o.ok) throw new Error(`expected the statement to fail, it ran: ${o.result.command} ${o.result.rowCount}`);
    return o.error;
  }
}

/**
 * Long enough for a released statement to reach the target and come back
 * (in-process wake-up, then one round trip), so "still held" after it means held.
 */
export const settleMs = 300;
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a PostgreSQL CancelRequest for (processId, secretKey) to the gateway's port. */
export async function sendCancel(port: number, keys: { processID: number; secretKey: number }): Promise<void> {
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(keys.processID, 8);
  packet.writeInt32BE(keys.secretKey, 12);
  await new Promise<void>((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.end(packet));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

/** Polls `probe` every 100 ms until it returns a value, up to `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

export type { TestGateway };

/**
 * The set-up every review suite shares: the fixture table, a gateway from
 * `start` with `connections` and `users` (name → groups), clients that are
 * closed at the end, and the table reset before each test (after `eachTest`).
 * Returns the users' tokens and a client factory; `start` keeps the gateway.
 */
export function reviewSuite(opts: {
  fx: Fixture;
  start(): Promise<TestGateway>;
  connections: string[];
  users: Record<string, string[]>;
  eachTest?(): void;
}): { tok: Record<string, string>; client(user: string, connection: string): Promise<GatewayClient> } {
  const tok: Record<string, string> = {};
  const open: GatewayClient[] = [];
  let gateway: TestGateway | undefined;
  beforeAll(async () => {
    await opts.fx.create();
    gateway = await opts.start();
    for (const c of opts.connections) await gateway.connection(c);
    for (const [name, groups] of Object.entries(opts.users)) tok[name] = await gateway.user(name, groups);
  });
  afterAll(async () => {
    for (const c of open) await c.end();
    await gateway?.stop();
    await opts.fx.drop();
  });
  beforeEach(async () => {
    opts.eachTest?.();
    await opts.fx.reset();
  });
  return {
    tok,
    async client(user, connection) {
      const c = await new GatewayClient(gateway!.pgPort, user, tok[user]!, connection).connect();
      open.push(c);
      return c;
    },
  };
}
