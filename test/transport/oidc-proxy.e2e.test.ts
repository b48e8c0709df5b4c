import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser } from '../identity/web-browser.ts';
import { startWebGateway, type WebGateway } from '../identity/web-gateway.ts';
import { startTestHttpProxy, type TestHttpProxy } from '../helpers/http-proxy.ts';

// The gateway's calls to the OIDC provider (discovery, the code exchange, its keys) through the
// network's proxy (a real tinyproxy, named by HTTP_PROXY in the gateway's environment): a browser
// sign-in still ends signed in, and every call went through a CONNECT tunnel to the IdP.
let proxy: TestHttpProxy;
let t: WebGateway;

beforeAll(async () => {
  proxy = await startTestHttpProxy();
  t = await startWebGateway({ env: { HTTP_PROXY: proxy.url } });
  t.idp.accounts.set('carol', { groups: ['eng-dba'] });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await proxy?.stop();
});

it('signs a browser in with the IdP reached through HTTP_PROXY', async () => {
  const b = new Browser(t.idp.issuer, 'carol');
  const start = await b.request(`${t.apiUrl}/auth/oidc/login?next=/api/v1/whoami`);
  expect(start.status).toBe(302);
  const landed = await b.open(start.headers.get('location')!);
  expect(landed.url).toBe(`${t.apiUrl}/api/v1/whoami`);
  expect(JSON.parse(landed.html)).toMatchObject({ user: { name: 'carol', groups: ['dba'] } });
  const tunnels = proxy.log().match(new RegExp(`CONNECT ${new URL(t.idp.issuer).host.replace(/\./g, '\\.')}`, 'g')) ?? [];
  expect(tunnels.length).toBeGreaterThan(0);
});
