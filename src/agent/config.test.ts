import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentSettings, readAgentConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string, ext = 'yaml') => {
  const p = join(dir, `c${n++}.${ext}`);
  writeFileSync(p, text);
  return p;
};

describe('agent config file', () => {
  it('reads every setting from YAML or JSON', async () => {
    const yaml = file('gateway: wss://gw:8443\ntokenFile: /run/secrets/t\nallow: [db:5432, ssh:22]\nca: ca.pem\npin: sha256:ab\nproxy: http://proxy:3128\ncredentials: creds.yaml\nlogLevel: warn\n');
    expect(await readAgentConfig(yaml)).toEqual({ gateway: 'wss://gw:8443', tokenFile: '/run/secrets/t', allow: ['db:5432', 'ssh:22'], ca: 'ca.pem', pin: 'sha256:ab', proxy: 'http://proxy:3128', credentials: 'creds.yaml', logLevel: 'warn' });
    expect(await readAgentConfig(file('{"gateway":"ws://gw","allow":["db:5432"]}', 'json'))).toEqual({ gateway: 'ws://gw', allow: ['db:5432'] });
    expect(await readAgentConfig(file(''))).toEqual({ allow: [] });
  });

  it('refuses unknown keys and wrong types, naming each', async () => {
    const bad = file('gateway: ws://gw\nalow: [db:5432]\npinn: sha256:ab\nallow: db:5432\n');
    const err = await readAgentConfig(bad).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(`invalid agent config ${bad}`);
    expect(message).toMatch(/alow/);
    expect(message).toMatch(/pinn/);
    expect(message).toMatch(/allow: .*array/);
  });

  it('says which file is unreadable or not YAML', async () => {
    await expect(readAgentConfig(join(dir, 'missing.yaml'))).rejects.toThrow('cannot read agent config');
    await expect(readAgentConfig(file('gateway: [unclosed'))).rejects.toThrow('is not valid YAML');
  });
});

describe('agentSettings', () => {
  const noEnv = {};

  it('flags win over the environment, which wins over the file; allow lists add up', async () => {
    const config = file('gateway: ws://from-file\ntoken: file-token\nallow: [a:1]\nproxy: http://file-proxy:1\nlogLevel: warn\n');
    const fromFile = await agentSettings({ allow: [], config }, noEnv);
    expect(fromFile).toEqual({ gateway: 'ws://from-file', token: 'file-token', allow: ['a:1'], proxy: 'http://file-proxy:1', logLevel: 'warn' });
    const fromEnv = await agentSettings({ allow: ['b:2'], config }, { WARDEN_GATEWAY: 'ws://from-env', WARDEN_AGENT_TOKEN: 'env-token' });
    expect([fromEnv.gateway, fromEnv.token, fromEnv.allow]).toEqual(['ws://from-env', 'env-token', ['a:1', 'b:2']]);
    const fromFlags = await agentSettings({ allow: [], config, gateway: 'ws://flag', token: 'flag-token', proxy: 'http://flag-proxy:1', logLevel: 'debug' }, { WARDEN_GATEWAY: 'ws://from-env', WARDEN_AGENT_TOKEN: 'env-token' });
    expect([fromFlags.gateway, fromFlags.token, fromFlags.proxy, fromFlags.logLevel]).toEqual(['ws://flag', 'flag-token', 'http://flag-proxy:1', 'debug']);
  });

  it('reads the token from a file (trimmed); an empty or missing one is an error', async () => {
    const tokenFile = file('  wda_agt_secret\n', 'txt');
    const config = file(`gateway: ws://gw\ntokenFile: ${tokenFile}\nallow: [a:1]\n`);
    expect((await agentSettings({ allow: [], config }, noEnv)).token).toBe('wda_agt_secret');
    expect((await agentSettings({ allow: ['a:1'], gateway: 'ws://gw', tokenFile }, noEnv)).token).toBe('wda_agt_secret');
    // The environment's token wins over the file's tokenFile (which is then not read).
    expect((await agentSettings({ allow: [], config: file(`gateway: ws://gw\ntokenFile: ${join(dir, 'none')}\nallow: [a:1]\n`) }, { WARDEN_AGENT_TOKEN: 'env' })).token).toBe('env');
    await expect(agentSettings({ allow: ['a:1'], gateway: 'ws://gw', tokenFile: file('\n', 'txt') }, noEnv)).rejects.toThrow('is empty');
    await expect(agentSettings({ allow: ['a:1'], gateway: 'ws://gw', tokenFile: join(dir, 'none') }, noEnv)).rejects.toThrow('cannot read the agent token file');
  });

  it('refuses to start without a gateway, a token or anything allowed', async () => {
    await expect(agentSettings({ allow: ['a:1'], token: 't' }, noEnv)).rejects.toThrow('no gateway');
    await expect(agentSettings({ allow: ['a:1'], gateway: 'ws://gw' }, noEnv)).rejects.toThrow('no agent token');
    await expect(agentSettings({ allow: [], gateway: 'ws://gw', token: 't' }, noEnv)).rejects.toThrow('the allowlist is empty');
  });
});
