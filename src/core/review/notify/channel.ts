import type { ReviewNotice } from '../types.ts';

/** One notification destination. `send` rejects on failure; the notifier turns that into a report. */
export interface Channel {
  /** Shown in review.notifyErrors and logs: never the URL path or a password. */
  readonly name: string;
  send(notice: ReviewNotice): Promise<void>;
}

/** `https://hooks.example/T0/B0/secret` → `hooks.example`: enough to tell channels apart. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid-url';
  }
}
