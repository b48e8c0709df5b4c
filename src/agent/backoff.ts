/**
 * Reconnect delays: exponential with full jitter (a random delay between 0 and
 * the capped exponential), so agents cut off together do not all come back in
 * the same instant. `random` is injected for tests.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number; random?: () => number }): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const r = (opts.random ?? Math.random)();
  return Math.max(opts.baseMs / 2, Math.floor(cap * r));
}
