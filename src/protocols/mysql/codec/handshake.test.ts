import { describe, expect, it } from 'vitest';
import { authSwitchRequest, buildGreeting, buildHandshakeResponse, cap, gatewayCapabilities, newScramble, parseAuthSwitch, parseGreeting, parseHandshakeResponse } from './handshake.ts';

describe('connection-phase packets', () => {
  it('a greeting parses back to what was built', () => {
    const scramble = newScramble();
    const g = parseGreeting(buildGreeting({ serverVersion: '5.7.0-warden', connectionId: 42, capabilities: gatewayCapabilities, charset: 45, status: 2, scramble, authPlugin: 'mysql_native_password' }));
    expect(g).toMatchObject({ serverVersion: '5.7.0-warden', connectionId: 42, capabilities: gatewayCapabilities, charset: 45, status: 2, authPlugin: 'mysql_native_password' });
    expect(g.scramble.equals(scramble)).toBe(true);
    expect(scramble.includes(0)).toBe(false);
  });

  it('a handshake response parses back, with and without a database', () => {
    const base = { capabilities: cap.protocol41 | cap.secureConnection | cap.pluginAuth | cap.pluginAuthLenencData | cap.connectWithDb, maxPacket: 1 << 24, charset: 33, user: 'alice', authResponse: Buffer.from('tok\0') };
    expect(parseHandshakeResponse(buildHandshakeResponse({ ...base, database: 'maria/test', authPlugin: 'mysql_clear_password' }))).toMatchObject({ user: 'alice', database: 'maria/test', authPlugin: 'mysql_clear_password', charset: 33 });
    const noDb = parseHandshakeResponse(buildHandshakeResponse({ ...base, capabilities: base.capabilities & ~cap.connectWithDb, database: undefined, authPlugin: 'mysql_native_password' }));
    expect(noDb).toMatchObject({ database: undefined, authPlugin: 'mysql_native_password' });
    expect(noDb.authResponse.toString()).toBe('tok\0');
  });

  it('refuses pre-4.1 and truncated responses', () => {
    expect(() => parseHandshakeResponse(Buffer.alloc(40))).toThrow(/4\.1/);
    expect(() => parseHandshakeResponse(Buffer.alloc(8))).toThrow(/too short/);
  });

  it('an AuthSwitchRequest carries the plugin and its data without the trailing NUL', () => {
    expect(parseAuthSwitch(authSwitchRequest('mysql_native_password', Buffer.from('abc\0')))).toEqual({ plugin: 'mysql_native_password', data: Buffer.from('abc') });
  });

  it("keeps all 32 bytes of MariaDB's ed25519 nonce, even one that ends in 0x00 (it has no NUL after it)", () => {
    const nonce = Buffer.alloc(32, 7);
    nonce[31] = 0;
    expect(parseAuthSwitch(authSwitchRequest('client_ed25519', nonce))).toEqual({ plugin: 'client_ed25519', data: nonce });
  });
});
