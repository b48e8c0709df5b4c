import type { Clock } from '../../clock.ts';
import type { ReviewNotice } from '../types.ts';
import { safeHost, type Channel } from './channel.ts';
import { postWithRetry, type PostDeps, type RetryOptions } from './post.ts';
import { signBody, signatureHeader, timestampHeader } from './signature.ts';

/**
 * Generic JSON webhook: the notice as JSON, signed with HMAC-SHA256 when a
 * secret is configured (see verifyWebhookSignature), retried with backoff.
 */
export function webhookChannel(index: number, cfg: { url: string; secret?: string }, retry: RetryOptions, deps: PostDeps & { clock: Clock }): Channel {
  const name = `webhook#${index + 1} (${safeHost(cfg.url)})`;
  return {
    name,
    async send(notice: ReviewNotice): Promise<void> {
      const now = deps.clock.now();
      const body = JSON.stringify({ type: notice.type, sentAt: now.toISOString(), review: notice.review, links: notice.links });
      const headers: Record<string, string> = {
        [timestampHeader]: String(Math.floor(now.getTime() / 1000)),
        'x-warden-event': notice.type,
      };
      if (cfg.secret) headers[signatureHeader] = signBody(body, cfg.secret);
      const error = await postWithRetry(cfg.url, body, headers, retry, deps);
      if (error !== undefined) throw new Error(error);
    },
  };
}
