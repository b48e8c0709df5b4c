import type { Kysely, Selectable } from 'kysely';
import { auditOutcomes, auditTypes, type AuditEvent, type AuditOutcome, type AuditQuery, type AuditRepo, type AuditType } from '../core/audit/types.ts';
import { WardenError } from '../core/errors.ts';
import type { Codec } from './codec.ts';
import type { DbTime } from './schema.ts';

export interface AuditEventsTable {
  id: string;
  at: DbTime;
  type: string;
  outcome: string;
  actor: string | null;
  subject: string | null;
  /** JSON object. */
  detail: string;
}

type Db = Kysely<{ auditEvents: AuditEventsTable }>;

/** The audit log (migration 0005): append-only rows, searched newest first. */
export class SqlAuditRepo implements AuditRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async append(e: AuditEvent): Promise<void> {
    await this.#db
      .insertInto('auditEvents')
      .values({ id: e.id, at: this.#codec.time(e.at), type: e.type, outcome: e.outcome, actor: e.actor, subject: e.subject, detail: JSON.stringify(e.detail) })
      .execute();
  }

  async list(q: AuditQuery): Promise<AuditEvent[]> {
    let query = this.#db.selectFrom('auditEvents').selectAll();
    if (q.since !== undefined) query = query.where('at', '>=', this.#codec.time(q.since));
    if (q.until !== undefined) query = query.where('at', '<', this.#codec.time(q.until));
    if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
    if (q.type !== undefined) {
      // A family (`login`) matches its types (`login.saml`…); the list is closed, so no LIKE on user input.
      const types = auditTypes.filter((t) => t === q.type || t.startsWith(`${q.type}.`));
      if (types.length === 0) return [];
      query = query.where('type', 'in', types);
    }
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map((r) => this.#read(r));
  }

  #read(r: Selectable<AuditEventsTable>): AuditEvent {
    // fail closed: a row this version cannot name is an error, not silently relabelled.
    if (!(auditTypes as readonly string[]).includes(r.type) || !(auditOutcomes as readonly string[]).includes(r.outcome)) {
      throw new WardenError('internal', `audit event ${r.id} has an unknown type or outcome (${r.type}/${r.outcome}); is an older gateway reading a newer store?`);
    }
    return {
      id: r.id,
      at: this.#codec.readTime(r.at),
      type: r.type as AuditType,
      outcome: r.outcome as AuditOutcome,
      actor: r.actor,
      subject: r.subject,
      detail: JSON.parse(r.detail) as AuditEvent['detail'],
    };
  }
}
