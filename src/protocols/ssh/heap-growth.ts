import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets the old generation grow to `heapGrowingFactor` × what survived the last full GC
 * before the next one, instead of its own choice of 1.1–4×.
 *
 * Why: a relay's JS heap barely grows, but every byte it moves passes through short-lived
 * Buffers, and V8 counts ArrayBuffer memory allocated since the last full GC against the
 * old-generation limit. For a relay V8 picks the smallest factor: after its memory reducer's GC
 * (about 100 s after the last full GC) the limit sat ~9 MB above a 30 MB heap, the Buffers
 * allocated between two scavenges (up to ~32 MB) crossed it, and every 200 MB scp then ran 15–20
 * mark-compacts, for good: each one set the same tight limit again. With the factor pinned at 3
 * the limit stays tens of MB above the live heap and transfers run on scavenges. Measured (two
 * gateways side by side, 10 scps of 200 MB each, loaded machine): gateway CPU per scp 1.0–2.0 s,
 * no storm, against 2.5–3.5 s with 15–20 mark-compacts once the reducer had run.
 *
 * Process-wide, like `--liftoff-only` (core/sql/parser.ts): it changes every isolate's next
 * limit computation, so the PostgreSQL and MySQL relays get it too. The cost: a heap may grow
 * to 3× its live size between full GCs (V8 allows 4× a process it sees allocating fast, and
 * that process now collects a little more often).
 */
export const heapGrowingFactor = 3;

/** Idempotent: setting the flag again only sets the same value. */
export function widenHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${(heapGrowingFactor - 1) * 100}`);
}
