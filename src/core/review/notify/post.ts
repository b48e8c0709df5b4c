import { setTimeout as delay } from 'node:timers/promises';

/** How hard a channel tries before it reports a failure. */
export interface RetryOptions {
  /** Tries in all, including the first (default 4). */
  attempts?: number;
  /** Wait before the 2nd try; doubles after each (default 500 ms). */
  baseDelayMs?: number;
  /** Per try (default 5000 ms). */
  timeoutMs?: number;
}

export interface PostDeps {
  fetch: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * POSTs a JSON body, retrying with exponential backoff on network errors,
 * timeouts, 408, 429 and 5xx; other answers are final. Resolves with undefined
 * on success or an error message — never throws, and the message never holds
 * the URL (incoming-webhook URLs are secrets).
 */
export async function postWithRetry(url: string, body: string, headers: Record<string, string>, retry: RetryOptions, deps: PostDeps): Promise<string | undefined> {
  const attempts = Math.max(1, retry.attempts ?? 4);
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  let last = 'not sent';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep((retry.baseDelayMs ?? 500) * 2 ** (attempt - 2));
    try {
      const res = await deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'warden', ...headers },
        body,
        signal: AbortSignal.timeout(retry.timeoutMs ?? 5000),
      });
      await res.body?.cancel();
      if (res.ok) return undefined;
      last = `HTTP ${res.status}`;
      if (!(res.status >= 500 || res.status === 408 || res.status === 429)) return `${last} (not retried)`;
    } catch (err) {
      last = describe(err);
    }
  }
  return `${last} after ${attempts} attempts`;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
