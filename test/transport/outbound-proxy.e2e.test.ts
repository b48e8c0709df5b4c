import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endedSession, gatewayUrl, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startTestHttpProxy, type TestHttpProxy } from '../helpers/http-proxy.ts';
import { freePort } from '../helpers/ports.ts';
import { psql } from '../helpers/psql.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';

// The gateway's own outbound HTTP in a network whose egress goes through a proxy (a real tinyproxy):
// with HTTP_PROXY in its environment, a review's webhook and the recording's shipment to S3
// (s3rver) both go through the proxy and still arrive.
describe("the gateway's outbound HTTP through HTTP_PROXY", () => {
  let proxy: TestHttpProxy;
  let s3: TestS3;
  let hook: Server;
  let hookPort: number;
  let t: TestGateway;
  let token: string;
  const received: { type?: string }[] = [];

  beforeAll(async () => {
    proxy = await startTestHttpProxy();
    s3 = await startS3();
    hookPort = await freePort();
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body) as { type?: string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve));
    t = await startTestGateway({
      env: { HTTP_PROXY: proxy.url },
      rules: [
        { id: 'reads', effect: 'allow', match: { classes: ['read'] } },
        { id: 'writes-reviewed', effect: 'review', match: { classes: ['write'] }, review: { mode: 'queue' } },
      ],
      config: {
        reviews: { notifications: { webhooks: [{ url: `http://127.0.0.1:${hookPort}/hook` }] } },
        recording: { flushIntervalMs: 50, s3: s3.config({ shipIntervalMs: 60_000 }) },
      },
    });
    token = await t.user('pia');
    await t.connection('pg');
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    await s3?.stop();
    await proxy?.stop();
  });

  it('posts the review webhook and ships the recording through the proxy', async () => {
    const r = await psql([gatewayUrl(t, 'pia', token, 'pg'), '-c', 'delete from w_outbound_never_created where id = 1']);
    expect(r.stderr).toMatch(/review/i);
    for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((res) => setTimeout(res, 25));
    expect(received.map((n) => n.type)).toContain('review_requested');
    // Through a CONNECT tunnel (http:// URLs too: one kind of proxying for every call).
    expect(proxy.log()).toContain(`CONNECT 127.0.0.1:${hookPort}`);

    const { session, events } = await endedSession(t, 'pia');
    expect(events.map((e) => e.type)).toContain('session_end');
    // The session's events were shipped as it closed (the interval is a minute), through a CONNECT tunnel.
    expect(proxy.log()).toContain(`CONNECT 127.0.0.1:${new URL(s3.endpoint).port}`);
    expect(session.endedAt).toBeDefined();
  });
});
