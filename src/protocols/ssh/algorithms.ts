import type { CipherAlgorithm } from 'ssh2';

/**
 * Ciphers the gateway offers on both legs (client → gateway, gateway →
 * target), AES-GCM first: AES-NI makes it the fastest SSH cipher, and in
 * ssh2 chacha20-poly1305 runs in JavaScript unless its optional native
 * binding was built. The client's preference decides a negotiation, and
 * OpenSSH prefers chacha20, so the gateway's server side does not offer it
 * at all; every OpenSSH since 6.2 speaks AES-GCM, and CTR stays for older
 * clients and targets.
 */
export const cipherPreference: CipherAlgorithm[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];
