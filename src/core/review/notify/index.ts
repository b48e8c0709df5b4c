/**
 * Review notifications: tell approvers a review is waiting (and when it is
 * decided, or force-approved by break-glass) through signed webhooks,
 * Slack-format webhooks and SMTP email. A failure is reported per channel and
 * stored on the review; it never throws and never approves anything.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { ReviewNotice, ReviewNotifier } from '../types.ts';
import type { Channel } from './channel.ts';
import { emailChannel, type SmtpConfig } from './email.ts';
import type { RetryOptions } from './post.ts';
import { slackChannel } from './slack.ts';
import { webhookChannel } from './webhook.ts';

export { verifyWebhookSignature, signBody, signatureHeader, timestampHeader } from './signature.ts';
export { slackPayload } from './slack.ts';
export type { SmtpConfig } from './email.ts';
export type { RetryOptions } from './post.ts';

export interface NotifyConfig {
  webhooks: { url: string; secret?: string }[];
  slack: { url: string }[];
  smtp?: SmtpConfig;
}

export interface NotifyDeps {
  log: Logger;
  clock: Clock;
  fetch?: typeof fetch;
  /** Backoff for the HTTP channels (defaults: 4 tries, 500 ms doubling, 5 s per try). */
  retry?: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
}

export function createNotifier(config: NotifyConfig, deps: NotifyDeps): ReviewNotifier {
  const http = { fetch: deps.fetch ?? fetch, ...(deps.sleep ? { sleep: deps.sleep } : {}) };
  const retry = deps.retry ?? {};
  const channels: Channel[] = [
    ...config.webhooks.map((w, i) => webhookChannel(i, w, retry, { ...http, clock: deps.clock })),
    ...config.slack.map((s, i) => slackChannel(i, s, retry, http)),
    ...(config.smtp ? [emailChannel(config.smtp, retry.timeoutMs ?? 10_000)] : []),
  ];
  return {
    async notify(notice: ReviewNotice) {
      // Channels go out side by side: a slow SMTP server does not delay the webhook.
      return Promise.all(
        channels.map(async (c) => {
          try {
            await c.send(notice);
            deps.log.info({ review: notice.review.id, channel: c.name, type: notice.type }, 'review notification sent');
            return { channel: c.name };
          } catch (err) {
            const error = (err as Error).message || String(err);
            deps.log.warn({ review: notice.review.id, channel: c.name, type: notice.type, error }, 'review notification failed');
            return { channel: c.name, error };
          }
        }),
      );
    },
  };
}
