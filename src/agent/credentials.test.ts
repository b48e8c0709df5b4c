import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import pgCrypto from 'pg/lib/crypto/utils.js';
import { describe, expect, it } from 'vitest';
import { Mux, type TunnelStream } from '../tunnel/index.ts';
import { AgentCredentials, answerAuth } from './credentials.ts';

describe('agent-held target credentials', () => {
  const creds = new AgentCredentials({ '127.0.0.1:5432': { user: 'app', password: 'pw' }, 'DB.internal:5433': { user: 'ro', password: 'x' } });
  const stream = {} as TunnelStream;

  it('answers md5 with the salted hash and never returns the password', async () => {
    const answer = answerAuth(creds);
    const salt = Buffer.from([1, 2, 3, 4]);
    const got = await answer(stream, '127.0.0.1', 5432, { op: 'md5', salt: salt.toString('base64') });
    expect(got).toEqual({ ok: true, response: await pgCrypto.postgresMd5PasswordHash('app', 'pw', salt) });
    expect(JSON.stringify(got)).not.toContain('"pw"');
    expect(await answer(stream, 'db.internal', 5433, { op: 'user' })).toEqual({ ok: true, user: 'ro' });
  });

  it('refuses a target it holds nothing for, an unknown step, and SCRAM out of order', async () => {
    const answer = answerAuth(creds);
    await expect(answer(stream, '10.0.0.1', 5432, { op: 'user' })).rejects.toThrow(/holds no credentials for 10.0.0.1:5432/);
    await expect(answer(stream, '127.0.0.1', 5432, { op: 'cleartext' })).rejects.toThrow(/unknown auth step/);
    await expect(answer(stream, '127.0.0.1', 5432, { op: 'md5' })).rejects.toThrow(/lacks "salt"/);
    await expect(answer(stream, '127.0.0.1', 5432, { op: 'sasl-continue', data: 'r=x' })).rejects.toThrow(/without a start/);
  });

  it('rejects a file entry without a user, or without a password or key', () => {
    expect(() => new AgentCredentials({ 'h:1': { user: 'u' } })).toThrow(/need a password or a privateKey/);
    expect(() => new AgentCredentials({ 'h:1': { password: 'p' } })).toThrow(/need a user/);
    expect(() => new AgentCredentials({ 'h:1': { user: 'u', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----' } })).toThrow(/not a readable private key/);
  });

  it('the gateway side of a stream gets the answer over the link; a refusal comes back as ok: false', async () => {
    // Every stream's target is one local TCP server (the auth steps never touch the target).
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s.on('error', () => undefined))).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const dial = async () => {
      const s = connect((server.address() as AddressInfo).port, '127.0.0.1');
      sockets.push(s);
      await once(s, 'connect');
      return s;
    };
    let gateway!: Mux;
    const agent = new Mux({ send: (f) => setImmediate(() => gateway.receive(f)), dial, onAuth: answerAuth(creds) });
    gateway = new Mux({ send: (f) => setImmediate(() => agent.receive(f)) });
    try {
      const known = await gateway.open('127.0.0.1', 5432);
      expect(await known.ask({ op: 'user' })).toEqual({ ok: true, user: 'app' });
      const unknown = await gateway.open('10.9.9.9', 5432);
      expect(await unknown.ask({ op: 'user' })).toMatchObject({ ok: false, message: expect.stringMatching(/holds no credentials/) });
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
