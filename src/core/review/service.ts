import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { WardenError } from '../errors.ts';
import { approvalsSatisfied, inAny, isApprover } from './rules.ts';
import type { Actor, ReviewService } from './service-types.ts';
import type { Decision, Review, ReviewNotice, ReviewNotifier, ReviewPolicy, ReviewRepo } from './types.ts';
import { waitForChange } from './wait.ts';
import { closedWindow } from './window.ts';
import type { TimeWindow } from '../policy/rules.ts';

export interface ReviewServiceDeps {
  repo: ReviewRepo;
  clock: Clock;
  notifier: ReviewNotifier;
  log: Logger;
  /** Key for "the same statement" in queue mode (normalised text hash). */
  fingerprint(text: string): string;
  /** The statement as stored and shown to approvers, sensitive-looking literals masked. */
  maskLiterals(text: string): string;
  links(id: string): ReviewNotice['links'];
  /** Members may force-approve (audited, notified) and deny any review. */
  breakGlassGroups: string[];
  /** How often a waiting hold looks at the store for another replica's decision (default 1000). */
  pollIntervalMs?: number;
  /** Cross-replica events: a decision made anywhere wakes holds here at once (polling stays as the fallback). */
  events?: EventBus;
  /** Policy of access requests that bring none (default: only break-glass can approve). */
  accessPolicy?: ReviewPolicy;
}

export type RunningReviewService = ReviewService & {
  /** Resolves once every notification started so far is sent and its outcome stored (tests, shutdown). */
  flush(): Promise<void>;
};

// fail closed: without a configured access policy, nobody but break-glass can grant access.
const defaultAccessPolicy: ReviewPolicy = {
  mode: 'hold',
  approverGroups: [],
  approvals: 1,
  eachGroup: false,
  timeoutMs: 3_600_000,
  approvalWindowMs: 0,
  maxRuns: 0,
  requireJustification: true,
};

type NewReview = Omit<Review, 'id' | 'kind' | 'connection' | 'text' | 'fingerprint' | 'accessForMs' | 'rules'>;

export function createReviewService(deps: ReviewServiceDeps): RunningReviewService {
  return new Reviews(deps);
}

class Reviews implements RunningReviewService {
  readonly #d: ReviewServiceDeps;
  readonly #pollMs: number;
  /** In-process wake-ups for waiting holds: emits a review id when this instance changes it. */
  readonly #changes = new EventEmitter();
  readonly #sending = new Set<Promise<void>>();

  constructor(deps: ReviewServiceDeps) {
    this.#d = deps;
    this.#pollMs = deps.pollIntervalMs ?? 1000;
    this.#changes.setMaxListeners(0);
    deps.events?.subscribe((e) => {
      if (e.type === 'review.decided') this.#changes.emit(e.reviewId);
    });
  }

  /** Wakes holds waiting on `id` here, and on every other replica through the event bus. */
  #changed(id: string): void {
    this.#changes.emit(id);
    void this.#d.events?.publish({ type: 'review.decided', reviewId: id });
  }

  async requestCommand(input: Parameters<ReviewService['requestCommand']>[0]): Promise<Review> {
    const justification = input.justification?.trim() || null;
    if (input.policy.requireJustification && justification === null) {
      throw new WardenError('bad_request', 'this statement needs a written justification before it can be reviewed; give the reason (e.g. the ticket) and run it again');
    }
    return this.#create({
      ...this.#base(input.requester, input.policy, justification),
      kind: 'command',
      connection: input.connection,
      text: this.#d.maskLiterals(input.text),
      fingerprint: this.#d.fingerprint(input.text),
      rules: [...input.rules],
      accessForMs: null,
    });
  }

  async requestAccess(input: Parameters<ReviewService['requestAccess']>[0]): Promise<Review> {
    const policy = input.policy ?? this.#d.accessPolicy ?? defaultAccessPolicy;
    if (!Number.isFinite(input.forMs) || input.forMs <= 0) {
      throw new WardenError('bad_request', 'ask for access for a positive duration, e.g. --for 2h');
    }
    const reason = input.reason.trim() || null;
    if (policy.requireJustification && reason === null) {
      throw new WardenError('bad_request', 'an access request needs a reason; say why you need access (e.g. --reason "INC-123")');
    }
    return this.#create({
      ...this.#base(input.requester, input.closeSessionsOnExpiry === undefined ? policy : { ...policy, closeSessionsOnExpiry: input.closeSessionsOnExpiry }, reason),
      kind: 'access',
      connection: input.connection,
      text: null,
      fingerprint: null,
      rules: [],
      accessForMs: input.forMs,
    });
  }

  async consumeApproved(requester: string, connection: string, text: string): Promise<Review | undefined> {
    const fingerprint = this.#d.fingerprint(text);
    const found = await this.#d.repo.list({ status: 'approved', kind: 'command', requester, connection, fingerprint });
    for (const first of found) {
      // A run lost to a concurrent one re-reads: runs may still be left for this one.
      let r: Review | undefined = first;
      for (let attempt = 0; attempt < 3 && r !== undefined && this.#usable(r) && this.#inWindow(r); attempt++) {
        const runs = r.runs + 1;
        const status = runs >= r.policy.maxRuns ? 'executed' : 'approved';
        const used = await this.#d.repo.update(r.id, 'approved', { runs, status }, { runs: r.runs });
        if (used !== undefined) {
          this.#d.log.info({ review: used.id, requester, connection, runs }, 'approved statement run from the queue');
          return used;
        }
        r = await this.#d.repo.get(r.id);
      }
    }
    return undefined;
  }

  async approvedOutsideWindow(requester: string, connection: string, text: string): Promise<{ review: Review; window: TimeWindow } | undefined> {
    const fingerprint = this.#d.fingerprint(text);
    const found = await this.#d.repo.list({ status: 'approved', kind: 'command', requester, connection, fingerprint });
    const now = this.#d.clock.now();
    for (const review of found) {
      const window = this.#usable(review) ? closedWindow(review.policy.windows, now) : undefined;
      if (window !== undefined) return { review, window };
    }
    return undefined;
  }

  async waitForDecision(id: string, signal: AbortSignal): Promise<Review> {
    signal.throwIfAborted();
    for (;;) {
      const review = await this.#current(await this.get(id));
      if (review.status !== 'pending') return review;
      await waitForChange(this.#changes, review.id, this.#pollMs, signal);
    }
  }

  async cancel(id: string, by: string, reason: string): Promise<Review | undefined> {
    const review = await this.get(id);
    if (by !== review.requester) {
      throw new WardenError('access_denied', `only ${review.requester}, who asked, can cancel ${review.id}; an approver denies it instead`);
    }
    const cancelled = await this.#d.repo.update(review.id, 'pending', { status: 'cancelled', decidedAt: this.#d.clock.now() });
    if (cancelled !== undefined) {
      this.#d.log.info({ review: review.id, by, reason }, 'review cancelled by its requester');
      this.#changed(review.id);
    }
    return cancelled;
  }

  async decide(id: string, actor: Actor, decision: Decision['decision'], reason?: string | null): Promise<Review> {
    const found = await this.get(id);
    this.#authorize(found, actor, decision);
    const review = await this.#current(found);
    if (review.status !== 'pending') {
      const why = review.status === 'expired' ? `it expired at ${review.expiresAt.toISOString()}; the requester must ask again` : 'it can no longer be decided';
      throw new WardenError('bad_request', `${review.id} is already ${review.status}: ${why}; nothing was changed`);
    }
    const earlier = review.decisions.find((d) => d.by === actor.name);
    if (earlier !== undefined) {
      throw new WardenError('bad_request', `you already decided ${review.id} (${earlier.decision}); another approver has to give the next decision`);
    }
    const now = this.#d.clock.now();
    const decisions = [...review.decisions, { by: actor.name, groups: [...actor.groups], decision, reason: reason?.trim() || null, at: now }];
    const patch: Partial<Review> =
      decision === 'deny'
        ? { status: 'denied', decisions, decidedAt: now }
        : decision === 'force-approve' || approvalsSatisfied(review.policy, decisions)
          ? { status: 'approved', decisions, decidedAt: now, validUntil: validUntil(review, now) }
          : { decisions };
    const updated = await this.#d.repo.update(review.id, 'pending', patch, { decisions: review.decisions.length });
    if (updated === undefined) {
      const latest = await this.#d.repo.get(review.id);
      throw new WardenError('bad_request', `${review.id} changed while you were deciding (now ${latest?.status ?? 'gone'}); look at it again and retry if it is still pending`);
    }
    this.#d.log.info({ review: updated.id, by: actor.name, decision, status: updated.status }, 'review decision');
    if (decision === 'force-approve') {
      this.#d.log.warn({ review: updated.id, by: actor.name, groups: actor.groups, reason: reason ?? null, requester: updated.requester, connection: updated.connection }, 'BREAK-GLASS: review force-approved without the required approvals');
      this.#notify('break_glass', updated);
    }
    if (updated.status !== 'pending') {
      this.#changed(updated.id);
      this.#notify('review_decided', updated);
    }
    return updated;
  }

  async activeGrant(user: string, connection: string): Promise<Review | undefined> {
    const now = this.#d.clock.now().getTime();
    const grants = await this.#d.repo.list({ status: 'approved', kind: 'access', requester: user, connection });
    const live = grants.filter((g) => g.validUntil !== null && g.validUntil.getTime() > now);
    return live.sort((a, b) => b.validUntil!.getTime() - a.validUntil!.getTime())[0];
  }

  async lapsedGrants(since: Date): Promise<Review[]> {
    const now = this.#d.clock.now().getTime();
    const grants = await this.#d.repo.list({ status: 'approved', kind: 'access' });
    const lapsed = grants.filter((g) => g.policy.closeSessionsOnExpiry === true && g.validUntil !== null && g.validUntil.getTime() > since.getTime() && g.validUntil.getTime() <= now);
    const out: Review[] = [];
    // A later grant still in force for the same user and connection keeps the sessions open.
    for (const g of lapsed) if ((await this.activeGrant(g.requester, g.connection)) === undefined) out.push(g);
    return out;
  }

  async inbox(actor: Actor): Promise<Review[]> {
    const now = this.#d.clock.now().getTime();
    const pending = await this.#d.repo.list({ status: 'pending' });
    return pending.filter(
      (r) =>
        r.requester !== actor.name &&
        r.expiresAt.getTime() > now &&
        (isApprover(r.policy, actor) || inAny(actor, this.#d.breakGlassGroups)) &&
        !r.decisions.some((d) => d.by === actor.name),
    );
  }

  async get(id: string): Promise<Review> {
    const review = await this.#d.repo.get(normaliseId(id));
    if (review === undefined) throw new WardenError('not_found', `there is no review ${id}; list pending reviews with "warden reviews list"`);
    return review;
  }

  list(filter?: Parameters<ReviewService['list']>[0]): Promise<Review[]> {
    return this.#d.repo.list(filter);
  }

  async expireDue(): Promise<number> {
    const now = this.#d.clock.now().getTime();
    const due = (await this.#d.repo.list({ status: 'pending' })).filter((r) => r.expiresAt.getTime() <= now);
    let expired = 0;
    for (const r of due) if ((await this.#current(r)).status === 'expired') expired++;
    return expired;
  }

  async flush(): Promise<void> {
    while (this.#sending.size > 0) await Promise.all([...this.#sending]);
  }

  /** Separation of duties first, then group membership; roles never make an approver. */
  #authorize(review: Review, actor: Actor, decision: Decision['decision']): void {
    if (actor.name === review.requester) {
      throw new WardenError('access_denied', `you asked for ${review.id}, so someone else must decide it (separation of duties)`);
    }
    const breakGlass = inAny(actor, this.#d.breakGlassGroups);
    if (decision === 'force-approve' && !breakGlass) {
      throw new WardenError('access_denied', `only the break-glass group (${this.#d.breakGlassGroups.join(', ') || 'none configured'}) can force-approve; ask an approver to approve ${review.id}`);
    }
    if (decision === 'approve' && !isApprover(review.policy, actor)) {
      const hint = breakGlass ? '; as break-glass you may force-approve (audited and notified)' : '';
      throw new WardenError('access_denied', `you are not an approver of ${review.id}; approvers are members of ${review.policy.approverGroups.join(', ') || 'no group'}${hint}`);
    }
    if (decision === 'deny' && !isApprover(review.policy, actor) && !breakGlass) {
      throw new WardenError('access_denied', `you are not an approver of ${review.id}; approvers are members of ${review.policy.approverGroups.join(', ') || 'no group'}`);
    }
  }

  /** The review as it stands now: a pending review past its expiry is moved to `expired`. */
  async #current(review: Review): Promise<Review> {
    if (review.status !== 'pending' || review.expiresAt.getTime() > this.#d.clock.now().getTime()) return review;
    const expired = await this.#d.repo.update(review.id, 'pending', { status: 'expired' });
    if (expired === undefined) return (await this.#d.repo.get(review.id)) ?? review;
    this.#d.log.info({ review: review.id }, 'review expired without a decision');
    this.#changed(review.id);
    return expired;
  }

  #usable(r: Review): boolean {
    const now = this.#d.clock.now().getTime();
    return r.status === 'approved' && r.policy.mode === 'queue' && r.validUntil !== null && r.validUntil.getTime() > now && r.runs < r.policy.maxRuns;
  }

  #inWindow(r: Review): boolean {
    return closedWindow(r.policy.windows, this.#d.clock.now()) === undefined;
  }

  #base(requester: Actor, policy: ReviewPolicy, justification: string | null): NewReview {
    if (!(policy.timeoutMs > 0) || !(policy.approvals >= 1)) {
      throw new WardenError('bad_request', 'the review rule needs a positive timeout and at least one approval; fix the policy');
    }
    const now = this.#d.clock.now();
    return {
      status: 'pending',
      requester: requester.name,
      requesterGroups: [...requester.groups],
      justification,
      policy: { ...policy, approverGroups: [...policy.approverGroups], ...(policy.windows ? { windows: policy.windows.map((w) => ({ ...w })) } : {}) },
      createdAt: now,
      notifiedAt: null,
      expiresAt: new Date(now.getTime() + policy.timeoutMs),
      decisions: [],
      decidedAt: null,
      validUntil: null,
      runs: 0,
      notifyErrors: [],
    };
  }

  async #create(r: Omit<Review, 'id'>): Promise<Review> {
    const review = await this.#d.repo.create(r);
    this.#d.log.info({ review: review.id, kind: review.kind, requester: review.requester, connection: review.connection }, 'review requested');
    this.#notify('review_requested', review);
    return review;
  }

  /** Sends in the background (a held client gets its notice at once); the outcome is stored on the review. */
  #notify(type: ReviewNotice['type'], review: Review): void {
    const job = this.#deliver(type, review).catch((err: unknown) => {
      this.#d.log.error({ err, review: review.id }, 'could not record the outcome of a review notification');
    });
    this.#sending.add(job);
    void job.finally(() => this.#sending.delete(job));
  }

  async #deliver(type: ReviewNotice['type'], review: Review): Promise<void> {
    const sentAt = this.#d.clock.now();
    let results: Awaited<ReturnType<ReviewNotifier['notify']>>;
    try {
      results = await this.#d.notifier.notify({ type, review, links: this.#d.links(review.id) });
    } catch (err) {
      results = [{ channel: 'notifier', error: (err as Error).message }];
    }
    const at = this.#d.clock.now();
    const errors = results.filter((r) => r.error !== undefined).map((r) => `${at.toISOString()} ${type} ${r.channel}: ${r.error}`);
    for (const e of errors) this.#d.log.warn({ review: review.id }, `review notification failed: ${e}`);
    // When it went out (not when it landed), so a fast approver never gets a negative latency.
    // With no channel configured, the inbox is the notification and it was there from the start.
    const notifiedAt = type !== 'review_requested' ? null : results.length === 0 ? review.createdAt : results.some((r) => r.error === undefined) ? sentAt : null;
    if (errors.length === 0 && notifiedAt === null) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.#d.repo.get(review.id);
      if (cur === undefined) return;
      const patch: Partial<Review> = { notifyErrors: [...cur.notifyErrors, ...errors] };
      if (cur.notifiedAt === null && notifiedAt !== null) patch.notifiedAt = notifiedAt;
      if ((await this.#d.repo.update(cur.id, cur.status, patch)) !== undefined) return;
    }
  }
}

/** Access grants run for the duration asked; queue approvals for the rule's window. */
function validUntil(review: Review, now: Date): Date {
  const ms = review.kind === 'access' ? (review.accessForMs ?? 0) : review.policy.approvalWindowMs;
  return new Date(now.getTime() + ms);
}

/** `r-12` and `12` mean `R-12`. */
function normaliseId(id: string): string {
  const t = id.trim().toUpperCase();
  return /^\d+$/.test(t) ? `R-${t}` : t;
}
