import { describe, expect, it } from 'vitest';
import { parseChangeUser } from './change-user.ts';
import { cap } from './handshake.ts';

const caps = cap.protocol41 | cap.secureConnection | cap.pluginAuth;

describe('COM_CHANGE_USER', () => {
  it('reads user, auth response, database, charset and plugin', () => {
    const p = Buffer.concat([Buffer.from([0x11]), Buffer.from('bob\0'), Buffer.from([3, 1, 2, 3]), Buffer.from('maria/app\0'), Buffer.from([45, 0]), Buffer.from('mysql_native_password\0')]);
    expect(parseChangeUser(p, caps)).toEqual({ user: 'bob', authResponse: Buffer.from([1, 2, 3]), database: 'maria/app', charset: 45, authPlugin: 'mysql_native_password' });
  });

  it('takes an old client without charset or plugin', () => {
    const p = Buffer.concat([Buffer.from([0x11]), Buffer.from('bob\0'), Buffer.from([0]), Buffer.from('\0')]);
    expect(parseChangeUser(p, caps)).toEqual({ user: 'bob', authResponse: Buffer.alloc(0), database: undefined, charset: undefined, authPlugin: undefined });
  });

  it('refuses a truncated auth response', () => {
    expect(() => parseChangeUser(Buffer.concat([Buffer.from([0x11]), Buffer.from('bob\0'), Buffer.from([9, 1])]), caps)).toThrow(/truncated/);
  });
});
