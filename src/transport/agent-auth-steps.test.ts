import { describe, expect, it } from 'vitest';
import { WardenError } from '../core/errors.ts';
import { agentAsker, decodeAuthStep } from './agent-auth-steps.ts';

const fail = (why: string) => new WardenError('upstream_unavailable', why);
const streamAnswering = (answer: Record<string, unknown>) => ({ ask: async () => answer });

describe('auth steps between gateway and agent', () => {
  it('the agent decodes every known step and refuses anything else', () => {
    expect(decodeAuthStep({ op: 'mysql-scramble', plugin: 'client_ed25519', scramble: 'AA==' })).toEqual({ op: 'mysql-scramble', plugin: 'client_ed25519', scramble: 'AA==' });
    expect(decodeAuthStep({ op: 'ssh-key', extra: 1 })).toEqual({ op: 'ssh-key' });
    expect(() => decodeAuthStep({ op: 'mysql-scramble', plugin: 'mysql_clear_password', scramble: '' })).toThrow(/unknown MySQL plugin/);
    expect(() => decodeAuthStep({ op: 'ssh-sign' })).toThrow(/lacks "data"/);
    expect(() => decodeAuthStep({ op: 'sasl-start', mechanisms: [1] })).toThrow(/mechanisms/);
    expect(() => decodeAuthStep({ op: 'password' })).toThrow(/unknown auth step/);
  });

  it('the gateway gets the typed answer, and a clear error for a refusal, a missing field or no agent', async () => {
    const ask = agentAsker(streamAnswering({ ok: true, user: 'deploy', publicKey: 'ssh-ed25519 AAAA' }), 'edge', fail);
    expect(await ask({ op: 'ssh-key' })).toEqual({ user: 'deploy', publicKey: 'ssh-ed25519 AAAA' });
    await expect(agentAsker(streamAnswering({ ok: true, user: 'deploy' }), 'edge', fail)({ op: 'ssh-key' })).rejects.toThrow(/agent "edge" answered the login step "ssh-key" without "publicKey"/);
    await expect(agentAsker(streamAnswering({ ok: false, message: 'no key here' }), null, fail)({ op: 'ssh-key' })).rejects.toThrow(/^no key here$/);
    const gone = { ask: () => Promise.reject(new Error('the stream is closed')) };
    await expect(agentAsker(gone, 'edge', fail)({ op: 'user' })).rejects.toThrow(/agent "edge" did not answer the login: the stream is closed/);
    expect(() => agentAsker(undefined, 'edge', fail)).toThrow(/not served by one/);
  });
});
