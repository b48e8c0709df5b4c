import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.ts';
import { callHttps as call, selectSeven, startAgent, startTlsAgentGateway, waitFor, type AgentProcess } from './support.ts';

// The agent link over TLS: the gateway serves its API (and the agents' endpoint) with its
// self-signed certificate; the agent trusts it by --ca or by --pin, and refuses anything else.
describe('TLS on the agent link', () => {
  let t: TestGateway;
  let apiUrl: string;
  let cert: string;
  let admin: string;
  let agentToken: string;
  let userToken: string;
  let agent: AgentProcess | undefined;

  const links = async () => {
    const { json } = await call(`${apiUrl}/api/v1/agents`, 'GET', admin, cert);
    return (json as { name: string; links: unknown[] }[]).find((a) => a.name === 'edge')?.links.length ?? 0;
  };

  beforeAll(async () => {
    ({ t, apiUrl, cert, admin, agentToken, userToken } = await startTlsAgentGateway());
  }, 60_000);

  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
    await waitFor('no link left', async () => (await links()) === 0);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const session = () => selectSeven(t, 'alice', userToken, 'via-edge');

  it('the API answers plain HTTP with nothing: it is HTTPS only', async () => {
    const plain = await fetch(`http://127.0.0.1:${t.gw.addresses.api!.port}/api/v1/agents`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it('--ca with the gateway certificate: the link is up and sessions ride it', async () => {
    const file = t.gw.tlsCertFile;
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--ca', file]);
    await waitFor('a link', async () => (await links()) === 1);
    expect(await session()).toEqual([{ n: 7 }]);
  });

  it('--pin with the certificate’s sha256 fingerprint (colon hex, as openssl prints it): the link is up', async () => {
    const pin = `sha256:${new X509Certificate(cert).fingerprint256}`;
    expect(pin).toMatch(/^sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--pin', pin]);
    await waitFor('a link', async () => (await links()) === 1);
    expect(await session()).toEqual([{ n: 7 }]);
  });

  it('a wrong pin refuses to connect: no link, and the agent says why', async () => {
    const wrong = `sha256:${'ab'.repeat(32)}`;
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--pin', wrong]);
    await waitFor('the agent reports the mismatch', () => agent!.log().includes('does not match --pin'));
    expect(agent.log()).toContain(new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase());
    expect(await links()).toBe(0);
  });

  it('without --ca or --pin a self-signed gateway is not trusted', async () => {
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432']);
    await waitFor('the agent reports the untrusted certificate', () => /self[- ]signed|unable to verify|certificate/i.test(agent!.log()));
    expect(await links()).toBe(0);
  });

  it('a malformed pin stops the agent with a clear message', async () => {
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--pin', 'md5:1234']);
    await new Promise<void>((r) => agent!.child.once('exit', () => r()));
    expect(agent.child.exitCode).not.toBe(0);
    expect(agent.log()).toContain('--pin must be sha256:');
  });
});
