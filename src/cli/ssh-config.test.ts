import { describe, expect, it } from 'vitest';
import { hostBlock, withHostBlock } from './ssh-config.ts';

const block = (port = 2222) => hostBlock({ alias: 'web-1', connection: 'web-1', user: 'alice', host: 'gw.example.com', port, identityFile: '/home/alice/.ssh/id ed25519' });

describe('the ssh config block of `warden connect`', () => {
  it('logs in as <user>@<connection> on the gateway, quoting values with spaces', () => {
    expect(block()).toBe(
      [
        '# >>> warden connect web-1 (written by Warden; `warden connect web-1 --write` rewrites it)',
        'Host web-1',
        '  HostName gw.example.com',
        '  Port 2222',
        '  User alice@web-1',
        '  IdentityFile "/home/alice/.ssh/id ed25519"',
        '  IdentitiesOnly yes',
        '# <<< warden connect web-1',
        '',
      ].join('\n'),
    );
    expect(() => hostBlock({ alias: 'x\nHost *', connection: 'x', user: 'a', host: 'h', port: 1 })).toThrow();
  });

  it('appends once, replaces in place, and leaves the rest of the file alone', () => {
    const mine = 'Host other\n  User me\n';
    const first = withHostBlock(mine, 'web-1', block());
    expect(first.changed).toBe(true);
    expect(first.text.startsWith(mine)).toBe(true);
    expect(withHostBlock(first.text, 'web-1', block())).toEqual({ text: first.text, changed: false });
    const moved = withHostBlock(`${first.text}Host later\n`, 'web-1', block(2200));
    expect(moved.text).toContain('Port 2200');
    expect(moved.text).not.toContain('Port 2222');
    expect(moved.text.startsWith(mine)).toBe(true);
    expect(moved.text.endsWith('Host later\n')).toBe(true);
    expect(withHostBlock('', 'web-1', block()).text).toBe(block());
  });
});
