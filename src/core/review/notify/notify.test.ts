import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.ts';
import type { Review, ReviewNotice } from '../types.ts';
import { createNotifier, slackPayload, verifyWebhookSignature } from './index.ts';
import { notice, sampleReview } from './sample.ts';

// Webhook and Slack channels against a real HTTP receiver on a free port.

const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
const log = pino({ level: 'silent' });
const retry = { attempts: 4, baseDelayMs: 1, timeoutMs: 2000 };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers with `statuses` in turn (then 200), keeping every request. */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/SECRET`, got, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((res) => s.close(res));
});

describe('webhook channel', () => {
  it('posts the notice as JSON, signed so a receiver can verify it', async () => {
    const rx = await receiver();
    const notifier = createNotifier({ webhooks: [{ url: rx.url, secret: 's3cret' }], slack: [] }, { log, clock, retry });
    expect(await notifier.notify(notice())).toEqual([{ channel: 'webhook#1 (' + new URL(rx.url).host + ')' }]);
    const [req] = rx.got;
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-warden-timestamp']).toBe(String(clock.now().getTime() / 1000));
    expect(verifyWebhookSignature(req!.body, req!.headers['x-warden-signature'] as string, 's3cret')).toBe(true);
    expect(verifyWebhookSignature(req!.body, req!.headers['x-warden-signature'] as string, 'other')).toBe(false);
    expect(verifyWebhookSignature(req!.body.replace('alice', 'mallory'), req!.headers['x-warden-signature'] as string, 's3cret')).toBe(false);
    expect(verifyWebhookSignature(req!.body, undefined, 's3cret')).toBe(false);
    expect(verifyWebhookSignature(req!.body, 'sha256=abc', 's3cret')).toBe(false);
    const body = JSON.parse(req!.body) as { type: string; sentAt: string; review: Review; links: ReviewNotice['links'] };
    expect(body).toMatchObject({ type: 'review_requested', sentAt: clock.now().toISOString(), review: { id: 'R-42', requester: 'alice' }, links: { approve: 'https://warden.example/reviews/R-42#approve', api: { approve: 'https://warden.example/api/v1/reviews/R-42/approve' } } });
  });

  it('sends no signature header without a secret', async () => {
    const rx = await receiver();
    await createNotifier({ webhooks: [{ url: rx.url }], slack: [] }, { log, clock, retry }).notify(notice());
    expect(rx.got[0]!.headers['x-warden-signature']).toBeUndefined();
  });

  it('retries 5xx answers with backoff, then succeeds', async () => {
    const rx = await receiver([500, 503]);
    const delays: number[] = [];
    const sleep = async (ms: number) => void delays.push(ms);
    const out = await createNotifier({ webhooks: [{ url: rx.url, secret: 'k' }], slack: [] }, { log, clock, retry: { ...retry, baseDelayMs: 100 }, sleep }).notify(notice());
    expect(out[0]!.error).toBeUndefined();
    expect(rx.got).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
    // Every attempt carries the same verifiable body.
    for (const r of rx.got) expect(verifyWebhookSignature(r.body, r.headers['x-warden-signature'] as string, 'k')).toBe(true);
  });

  it('gives up after the bounded attempts, and does not retry a 4xx', async () => {
    const rx = await receiver([500, 500, 500, 500, 500]);
    const [out] = await createNotifier({ webhooks: [{ url: rx.url }], slack: [] }, { log, clock, retry }).notify(notice());
    expect(out!.error).toBe('HTTP 500 after 4 attempts');
    expect(rx.got).toHaveLength(4);
    const rx2 = await receiver([404]);
    const [out2] = await createNotifier({ webhooks: [{ url: rx2.url }], slack: [] }, { log, clock, retry }).notify(notice());
    expect(out2!.error).toMatch(/HTTP 404/);
    expect(rx2.got).toHaveLength(1);
  });

  it('reports an endpoint that is down without throwing, and never leaks the URL path', async () => {
    const rx = await receiver();
    const url = rx.url;
    await new Promise((res) => rx.server.close(res));
    servers.splice(servers.indexOf(rx.server), 1);
    const notifier = createNotifier({ webhooks: [{ url, secret: 'k' }], slack: [{ url }] }, { log, clock, retry });
    const out = await notifier.notify(notice());
    expect(out).toHaveLength(2);
    for (const r of out) {
      expect(r.error).toMatch(/ECONNREFUSED after 4 attempts/);
      expect(`${r.channel} ${r.error}`).not.toContain('SECRET');
    }
  });
});

describe('slack channel', () => {
  it('posts a Slack incoming-webhook payload with approve and deny link buttons', async () => {
    const rx = await receiver();
    const out = await createNotifier({ webhooks: [], slack: [{ url: rx.url }] }, { log, clock, retry }).notify(notice());
    expect(out[0]!.error).toBeUndefined();
    const body = JSON.parse(rx.got[0]!.body) as ReturnType<typeof slackPayload>;
    expect(body.text).toBe('Review R-42: alice asks to run a statement on prod');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(JSON.stringify(body.blocks[1])).toContain('&lt;b&gt;&amp;');
    const actions = body.blocks[3] as { elements: { text: { text: string }; url: string; style?: string }[] };
    expect(actions.elements.map((e) => [e.text.text, e.url, e.style])).toEqual([
      ['Approve', 'https://warden.example/reviews/R-42#approve', 'primary'],
      ['Deny', 'https://warden.example/reviews/R-42#deny', 'danger'],
      ['View', 'https://warden.example/reviews/R-42', undefined],
    ]);
  });

  it('shows only a view link once decided, and names break-glass', () => {
    const forced = sampleReview({ status: 'approved', decisions: [{ by: 'gina', groups: ['break-glass'], decision: 'force-approve', reason: 'outage', at: clock.now() }] });
    const p = slackPayload(notice({ type: 'break_glass', review: forced }));
    expect(p.text).toBe('BREAK-GLASS: R-42 force-approved by gina (alice on prod)');
    const actions = p.blocks.at(-1) as { elements: { text: { text: string } }[] };
    expect(actions.elements.map((e) => e.text.text)).toEqual(['View']);
  });
});
