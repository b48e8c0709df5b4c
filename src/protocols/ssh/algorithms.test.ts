import { describe, expect, test } from 'vitest';
import { ciphersFor } from './algorithms.ts';

describe('ciphersFor', () => {
  test('offers chacha20-poly1305 after AES-GCM only with ssh2 native binding', () => {
    expect(ciphersFor(true)).toEqual(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr']);
    expect(ciphersFor(false)).toEqual(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr']);
  });
});
