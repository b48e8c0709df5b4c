import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// An agent (or anything) that asks for the agent endpoint and resets the TCP connection while the
// gateway is still checking its token. Node's HTTP server has already taken its own error listener
// off the socket by then; an unhandled ECONNRESET would crash the gateway (here: this test process).
describe('agent endpoint: a connection reset during the upgrade', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('ends only that connection; the gateway keeps answering', async () => {
    const api = new URL(t.apiUrl);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: api.hostname, port: Number(api.port) }, () => {
          s.write(
            'GET /api/v1/agents/connect HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer wagt_not_a_real_token\r\n\r\n',
            () => {
              // A reset (RST), not a FIN: the gateway's next read or write on the socket fails with ECONNRESET.
              s.resetAndDestroy();
              resolve();
            },
          );
        });
        s.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    const health = await fetch(`${t.apiUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
