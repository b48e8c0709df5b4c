import { describe, expect, it } from 'vitest';
import { validateConfig } from './load.ts';

describe('ssh.clientCiphers', () => {
  it('defaults to AES-GCM alone, so that a default OpenSSH client (GCM last in its order) lands on it', () => {
    expect(validateConfig({}, 'test').ssh.clientCiphers).toEqual(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);
  });

  it('takes chacha20-poly1305 or CTR for older clients, in the order given', () => {
    const c = validateConfig({ ssh: { clientCiphers: ['chacha20-poly1305@openssh.com', 'aes128-ctr'] } }, 'test');
    expect(c.ssh.clientCiphers).toEqual(['chacha20-poly1305@openssh.com', 'aes128-ctr']);
  });

  it('refuses a cipher it does not offer (CBC, 3DES, a typo) and an empty list, naming the option', () => {
    expect(() => validateConfig({ ssh: { clientCiphers: ['aes128-cbc'] } }, 'test')).toThrow(/ssh\.clientCiphers/);
    expect(() => validateConfig({ ssh: { clientCiphers: [] } }, 'test')).toThrow(/ssh\.clientCiphers/);
  });
});
