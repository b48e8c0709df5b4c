import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startTestHttpProxy, type TestHttpProxy } from '../helpers/http-proxy.ts';
import { adminToken, agentConnection, selectSeven, spawnAgent, startAgent, startTlsAgentGateway, waitFor, warden, type AgentProcess, type TlsAgentGateway } from './support.ts';

// The agent inside a network whose only way out is an HTTP proxy (a real tinyproxy): the link
// rides a CONNECT tunnel, chosen by HTTPS_PROXY / HTTP_PROXY / NO_PROXY or --proxy.

const query = (t: TestGateway, token: string, connection: string) => selectSeven(t, 'alice', token, connection);

/** CONNECT requests the proxy logged for `port`. */
const tunnelsTo = (proxy: TestHttpProxy, port: number) => proxy.log().split('\n').filter((l) => l.includes(`CONNECT 127.0.0.1:${port} `)).length;

describe('agent link through an HTTP proxy (ws://)', () => {
  let t: TestGateway;
  let proxy: TestHttpProxy;
  let agentToken: string;
  let userToken: string;
  let agent: AgentProcess | undefined;
  let apiPort: number;

  beforeAll(async () => {
    [t, proxy] = await Promise.all([startTestGateway({ config: { agents: { waitMs: 3000, heartbeatMs: 1000 } } }), startTestHttpProxy()]);
    apiPort = t.gw.addresses.api!.port;
    const admin = await adminToken(t);
    userToken = await t.user('alice');
    const created = await warden(['agents', 'create', 'edge', '--url', t.apiUrl, '--token', admin, '--json']);
    agentToken = (JSON.parse(created.stdout) as { token: string }).token;
    await agentConnection(t, 'via-edge', 'edge');
  }, 60_000);
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), proxy?.stop()]);
  });

  it('HTTP_PROXY: the link is a CONNECT tunnel through the proxy, and sessions ride it', async () => {
    const before = tunnelsTo(proxy, apiPort);
    agent = startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432'], [], { HTTP_PROXY: proxy.url });
    await waitFor('the agent connects', () => agent!.log().includes('connected to the gateway'));
    expect(await query(t, userToken, 'via-edge')).toEqual([{ n: 7 }]);
    expect(tunnelsTo(proxy, apiPort)).toBe(before + 1);
    // The agent names the proxy it goes through in its log lines.
    expect(agent.log()).toContain(`"proxy":"http://127.0.0.1:${proxy.port}/"`);
  });

  it('NO_PROXY naming the gateway: the agent dials it directly', async () => {
    const before = tunnelsTo(proxy, apiPort);
    agent = startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432'], [], { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    await waitFor('the agent connects', () => agent!.log().includes('connected to the gateway'));
    expect(await query(t, userToken, 'via-edge')).toEqual([{ n: 7 }]);
    expect(tunnelsTo(proxy, apiPort)).toBe(before);
  });

  it('a proxy that is not there: the agent says it cannot reach it, and keeps retrying', async () => {
    // A privileged port nothing here listens on (the discard port): a stopped proxy's free port could be
    // taken meanwhile by another test file's listener, which would then answer the CONNECT.
    const dead = 'http://127.0.0.1:9';
    agent = startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432'], ['--proxy', dead]);
    await waitFor('two failed attempts', () => (agent!.log().match(/ECONNREFUSED/g) ?? []).length >= 2);
    expect(agent.log()).toContain(`"proxy":"${dead}/"`);
    expect(agent.log()).not.toContain('connected to the gateway');
  });

  it('everything from --config (gateway, tokenFile, allow, proxy), nothing on the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-agent-'));
    try {
      writeFileSync(join(dir, 'token'), `${agentToken}\n`, { mode: 0o600 });
      const config = join(dir, 'agent.yaml');
      writeFileSync(config, `gateway: ${t.apiUrl}\ntokenFile: ${join(dir, 'token')}\nallow:\n  - 127.0.0.1:5432\nproxy: ${proxy.url}\nlogLevel: info\n`);
      const before = tunnelsTo(proxy, apiPort);
      agent = spawnAgent(['--config', config]);
      await waitFor('the agent connects', () => agent!.log().includes('connected to the gateway'));
      expect(await query(t, userToken, 'via-edge')).toEqual([{ n: 7 }]);
      expect(tunnelsTo(proxy, apiPort)).toBe(before + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a misspelt key in --config stops the agent, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-agent-'));
    try {
      const config = join(dir, 'agent.yaml');
      writeFileSync(config, `gateway: ${t.apiUrl}\nallow: [127.0.0.1:5432]\nproxi: ${proxy.url}\n`);
      agent = spawnAgent(['--config', config], { WARDEN_AGENT_TOKEN: agentToken });
      await new Promise<void>((r) => agent!.child.once('exit', () => r()));
      expect(agent.child.exitCode).not.toBe(0);
      expect(agent.log()).toContain(`invalid agent config ${config}`);
      expect(agent.log()).toContain('proxi');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a proxy URL that is not http(s) stops the agent with a clear message', async () => {
    agent = startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432'], ['--proxy', 'socks5://127.0.0.1:1080']);
    await new Promise<void>((r) => agent!.child.once('exit', () => r()));
    expect(agent.child.exitCode).not.toBe(0);
    expect(agent.log()).toContain('the proxy must be http://');
  });
});

describe('agent link through an HTTP proxy that asks for credentials (wss://)', () => {
  let t: TestGateway;
  let proxy: TestHttpProxy;
  let apiUrl: string;
  let apiPort: number;
  let cert: string;
  let agentToken: string;
  let userToken: string;
  let agent: AgentProcess | undefined;
  const proxyUrl = (password: string) => proxy.url.replace(/:[^:@/]*@/, `:${password}@`);

  beforeAll(async () => {
    let tls: TlsAgentGateway;
    [tls, proxy] = await Promise.all([startTlsAgentGateway(), startTestHttpProxy({ auth: { user: 'egress', password: 'Pr0xy-pw' } })]);
    ({ t, apiUrl, cert, agentToken, userToken } = tls);
    apiPort = t.gw.addresses.api!.port;
  }, 60_000);
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), proxy?.stop()]);
  });

  it('HTTPS_PROXY with the credentials and --pin: the pinned certificate is checked through the tunnel, and sessions ride it', async () => {
    const pin = `sha256:${new X509Certificate(cert).fingerprint256}`;
    const before = tunnelsTo(proxy, apiPort);
    // HTTP_PROXY points nowhere: a wss:// gateway goes by HTTPS_PROXY.
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--pin', pin], { HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:1' });
    await waitFor('the agent connects', () => agent!.log().includes('connected to the gateway'));
    expect(await query(t, userToken, 'via-edge')).toEqual([{ n: 7 }]);
    expect(tunnelsTo(proxy, apiPort)).toBe(before + 1);
    // Credentials never reach the log.
    expect(agent.log()).not.toContain('Pr0xy-pw');
    expect(agent.log()).toContain('"proxy":"http://***@127.0.0.1:');
  });

  it('--proxy with --ca works the same', async () => {
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--ca', t.gw.tlsCertFile, '--proxy', proxy.url]);
    await waitFor('the agent connects', () => agent!.log().includes('connected to the gateway'));
    expect(await query(t, userToken, 'via-edge')).toEqual([{ n: 7 }]);
  });

  // tinyproxy answers a CONNECT without credentials 407, and one with wrong credentials 401.
  for (const [what, url, status] of [
    ['no proxy credentials', () => proxy.url.replace(/\/\/[^@]*@/, '//'), 407],
    ['a wrong proxy password', () => proxyUrl('wrong'), 401],
  ] as const) {
    it(`${what}: the agent says the proxy refused (HTTP ${status}) and never links`, async () => {
      agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--ca', t.gw.tlsCertFile, '--proxy', url()]);
      await waitFor('the refusal is logged', () => agent!.log().includes(`the proxy refused the tunnel to the gateway (HTTP ${status})`));
      expect(agent.log()).toContain('give them in the proxy URL');
      expect(agent.log()).not.toContain('the gateway refused this agent');
      expect(agent.log()).not.toContain('connected to the gateway');
      expect(agent.log()).not.toContain('wrong');
    });
  }

  it('a wrong pin through the proxy: refused before the token is sent', async () => {
    agent = startAgent(apiUrl, agentToken, ['127.0.0.1:5432'], ['--pin', `sha256:${'ab'.repeat(32)}`, '--proxy', proxy.url]);
    await waitFor('the mismatch is logged', () => agent!.log().includes('does not match --pin'));
    expect(agent.log()).not.toContain('connected to the gateway');
  });
});
