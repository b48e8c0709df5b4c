import { describe, expect, it } from 'vitest';
import { WardenError } from '../../core/errors.ts';
import { offerable, parseExtension, relayedExtensions, versionPacketFor } from './sftp-extensions.ts';
import { encodePacket, FXP, PacketReader } from './sftp-packets.ts';

const ext = (id: number, name: string, ...fields: Parameters<typeof encodePacket>[1]) => encodePacket(FXP.EXTENDED, [id, name, ...fields]);
const parse = (id: number, name: string, ...fields: Parameters<typeof encodePacket>[1]) => parseExtension(name, id, ext(id, name, ...fields));

/** The extensions a VERSION packet offers, in order. */
function offered(version: Buffer): [string, string][] {
  const r = new PacketReader(version);
  expect([version[4], r.u32()]).toEqual([FXP.VERSION, 3]);
  const out: [string, string][] = [];
  while (!r.done) out.push([r.text()!, r.text()!]);
  return out;
}

// What OpenSSH 9.2's sftp-server offers.
const openssh = new Map([
  ['posix-rename@openssh.com', '1'], ['statvfs@openssh.com', '2'], ['fstatvfs@openssh.com', '2'], ['hardlink@openssh.com', '1'],
  ['fsync@openssh.com', '1'], ['lsetstat@openssh.com', '1'], ['limits@openssh.com', '1'], ['expand-path@openssh.com', '1'],
  ['copy-data', '1'], ['home-directory', '1'], ['users-groups-by-id@openssh.com', '1'],
]);

describe('the extensions offered', () => {
  it('are those the target offered at the revision the gateway knows, and limits; nothing else', () => {
    expect(offerable(openssh).sort()).toEqual(Object.keys(relayedExtensions).sort());
    expect(offerable(new Map([['posix-rename@openssh.com', '2'], ['statvfs@openssh.com', '2'], ['made-up@example.com', '1']]))).toEqual(['statvfs@openssh.com']);
    expect(offered(versionPacketFor([]))).toEqual([['limits@openssh.com', '1']]);
    expect(offered(versionPacketFor(['statvfs@openssh.com', 'hardlink@openssh.com']))).toEqual([['limits@openssh.com', '1'], ['statvfs@openssh.com', '2'], ['hardlink@openssh.com', '1']]);
  });
});

describe('parseExtension', () => {
  it('posix-rename is judged as a rename of both paths; the target gets the judged ones', () => {
    const x = parse(7, 'posix-rename@openssh.com', 'a', '../b');
    expect(x).toMatchObject({ kind: 'judged', op: 'rename', paths: ['a', '../b'] });
    if (x?.kind !== 'judged') throw new Error('judged');
    expect(x.packet(['/h/a', '/b'])).toEqual(ext(7, 'posix-rename@openssh.com', '/h/a', '/b'));
  });

  it('hardlink is judged at the new link, then the file it names (which must be readable); the target gets its own order back', () => {
    // The wire order is the existing file, then the new link.
    const x = parse(8, 'hardlink@openssh.com', 'old', 'new');
    expect(x).toMatchObject({ kind: 'judged', op: 'hardlink', paths: ['new', 'old'], alsoReadable: 1 });
    if (x?.kind !== 'judged') throw new Error('judged');
    expect(x.packet(['/h/new', '/h/old'])).toEqual(ext(8, 'hardlink@openssh.com', '/h/old', '/h/new'));
  });

  it('lsetstat is judged as a setstat; its attributes pass as they came', () => {
    const attrs = Buffer.from([0, 0, 0, 4, 0, 0, 1, 0xa4]);
    const x = parse(9, 'lsetstat@openssh.com', 'f', { raw: attrs });
    expect(x).toMatchObject({ kind: 'judged', op: 'setstat', paths: ['f'] });
    if (x?.kind !== 'judged') throw new Error('judged');
    expect(x.packet(['/h/f'])).toEqual(ext(9, 'lsetstat@openssh.com', '/h/f', { raw: attrs }));
  });

  it('statvfs is metadata on a path; fstatvfs and fsync name a handle; expand-path passes as it came', () => {
    const x = parse(10, 'statvfs@openssh.com', '.');
    expect(x).toMatchObject({ kind: 'metadata', path: '.' });
    if (x?.kind !== 'metadata') throw new Error('metadata');
    expect(x.packet('/h')).toEqual(ext(10, 'statvfs@openssh.com', '/h'));
    expect(parse(11, 'fstatvfs@openssh.com', Buffer.from('h1'))).toEqual({ kind: 'handle', handle: Buffer.from('h1') });
    expect(parse(12, 'fsync@openssh.com', Buffer.from('h2'))).toEqual({ kind: 'handle', handle: Buffer.from('h2') });
    expect(parse(13, 'expand-path@openssh.com', '~/x')).toEqual({ kind: 'plain' });
  });

  it('copy-data names the handle read and the handle written; any uint64 offset or length passes', () => {
    const max = Buffer.alloc(8, 0xff);
    expect(parse(21, 'copy-data', Buffer.from('r'), { raw: max }, { u64: 0 }, Buffer.from('w'), { raw: max })).toEqual({ kind: 'copy', from: Buffer.from('r'), to: Buffer.from('w') });
    expect(() => parse(22, 'copy-data', Buffer.from('r'), { u64: 0 }, { u64: 0 }, Buffer.from('w'))).toThrow(WardenError);
  });

  it('a path that is not UTF-8 stays undefined (the relay refuses to judge it)', () => {
    expect(parse(14, 'posix-rename@openssh.com', Buffer.from([0x2f, 0xff]), '/b')).toMatchObject({ paths: [undefined, '/b'] });
    expect(parse(15, 'statvfs@openssh.com', Buffer.from([0x2f, 0xff]))).toMatchObject({ kind: 'metadata', path: undefined });
  });

  it('read-only lookups pass as they came', () => {
    expect(parse(15, 'home-directory', 'alice')).toEqual({ kind: 'plain' });
    expect(parse(16, 'users-groups-by-id@openssh.com', Buffer.alloc(4), Buffer.alloc(0))).toEqual({ kind: 'plain' });
  });

  it('knows no other extension, and throws on a truncated one', () => {
    expect(parse(16, 'home-directory@example.com', 'alice')).toBeUndefined();
    expect(parse(17, 'limits@openssh.com')).toBeUndefined();
    expect(parse(18, 'constructor')).toBeUndefined();
    expect(() => parse(19, 'posix-rename@openssh.com', '/a')).toThrow(WardenError);
    expect(() => parse(20, 'fsync@openssh.com')).toThrow(WardenError);
  });
});
