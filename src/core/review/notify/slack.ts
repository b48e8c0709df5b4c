import type { ReviewNotice } from '../types.ts';
import { safeHost, type Channel } from './channel.ts';
import { noticeText } from './message.ts';
import { postWithRetry, type PostDeps, type RetryOptions } from './post.ts';

/**
 * Slack-compatible incoming webhook (also Mattermost, Rocket.Chat…): `text`
 * as the fallback line, `blocks` with the facts and approve/deny link buttons.
 * @see https://api.slack.com/messaging/webhooks
 */
export function slackChannel(index: number, cfg: { url: string }, retry: RetryOptions, deps: PostDeps): Channel {
  return {
    name: `slack#${index + 1} (${safeHost(cfg.url)})`,
    async send(notice: ReviewNotice): Promise<void> {
      const error = await postWithRetry(cfg.url, JSON.stringify(slackPayload(notice)), {}, retry, deps);
      if (error !== undefined) throw new Error(error);
    },
  };
}

export function slackPayload(notice: ReviewNotice): { text: string; blocks: Record<string, unknown>[] } {
  const t = noticeText(notice);
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: t.title.slice(0, 150) } }];
  if (t.statement !== null) {
    // A section holds at most 3000 characters.
    const text = t.statement.length > 2800 ? `${t.statement.slice(0, 2800)}…` : t.statement;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${escape(text)}\`\`\`` } });
  }
  blocks.push({ type: 'section', fields: t.facts.filter(([k]) => !['View', 'Approve', 'Deny'].includes(k)).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${escape(k)}*\n${escape(v)}` })) });
  const buttons: Record<string, unknown>[] = [];
  if (notice.type === 'review_requested') {
    buttons.push(button('Approve', notice.links.approve, 'primary'), button('Deny', notice.links.deny, 'danger'));
  }
  buttons.push(button('View', notice.links.view));
  blocks.push({ type: 'actions', elements: buttons });
  return { text: t.title, blocks };
}

function button(label: string, url: string, style?: 'primary' | 'danger'): Record<string, unknown> {
  return { type: 'button', text: { type: 'plain_text', text: label }, url, action_id: label.toLowerCase(), ...(style ? { style } : {}) };
}

/** Slack mrkdwn control characters. */
function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
