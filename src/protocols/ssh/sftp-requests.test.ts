import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../core/errors.ts';
import { encodePacket, FXF, FXP } from './sftp-packets.ts';
import { cappedRead, openMode, parseRequest, parseWriteHead, pathsOf, withPaths, type PathRequest, type SftpRequest } from './sftp-requests.ts';

const id = fc.nat({ max: 0xffffffff });
const path = fc.string({ maxLength: 40 });
const rest = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
const handle = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a) => Buffer.from(a));

/** Requests that carry paths, each as a client would send it. */
const pathPacket = fc.oneof(
  fc.record({ id, p: path, flags: fc.nat({ max: 0x3f }), rest }).map(({ id, p, flags, rest }) => encodePacket(FXP.OPEN, [id, p, flags, { raw: rest }])),
  fc.record({ id, p: path }).map(({ id, p }) => encodePacket(FXP.OPENDIR, [id, p])),
  fc.record({ id, p: path, rest, type: fc.constantFrom(FXP.STAT, FXP.LSTAT, FXP.READLINK, FXP.REMOVE, FXP.RMDIR, FXP.MKDIR, FXP.SETSTAT) }).map(({ id, p, rest, type }) => encodePacket(type, [id, p, { raw: rest }])),
  fc.record({ id, a: path, b: path, rest }).map(({ id, a, b, rest }) => encodePacket(FXP.RENAME, [id, a, b, { raw: rest }])),
  fc.record({ id, a: path, b: path }).map(({ id, a, b }) => encodePacket(FXP.SYMLINK, [id, a, b])),
);

describe('parseRequest', () => {
  it('reads each path request so that sending its paths as written rebuilds the packet byte for byte', () => {
    fc.assert(
      fc.property(pathPacket, fc.boolean(), (packet, openssh) => {
        const q = parseRequest(packet, openssh) as PathRequest;
        expect(q.id).toBe(packet.readUInt32BE(5));
        const paths = pathsOf(q) as string[];
        // A SYMLINK's second path is sent as written, whatever the judged one: here it is replaced to show that.
        const judged = q.op === 'symlink' ? [paths[0]!, 'ignored'] : paths;
        expect(withPaths(q, judged, openssh).equals(packet)).toBe(true);
      }),
    );
  });

  it('puts the judged paths, and only them, in the packet the target gets', () => {
    const q = parseRequest(encodePacket(FXP.RENAME, [7, 'a/../b', 'c', { raw: Buffer.from([1, 2]) }]), true) as PathRequest;
    expect(pathsOf(q)).toEqual(['a/../b', 'c']);
    expect(withPaths(q, ['/home/u/b', '/home/u/c'], true)).toEqual(encodePacket(FXP.RENAME, [7, '/home/u/b', '/home/u/c', { raw: Buffer.from([1, 2]) }]));
    const stat = parseRequest(encodePacket(FXP.LSTAT, [8, 'x']), false) as PathRequest;
    expect(withPaths(stat, ['/home/u/x'], false)).toEqual(encodePacket(FXP.LSTAT, [8, '/home/u/x']));
    // OPENDIR has no field after its path: trailing bytes are not passed on.
    const dir = parseRequest(encodePacket(FXP.OPENDIR, [9, 'd', { raw: Buffer.from('junk') }]), false) as PathRequest;
    expect(withPaths(dir, ['/d'], false)).toEqual(encodePacket(FXP.OPENDIR, [9, '/d']));
  });

  it('reads SYMLINK in the order each side speaks: OpenSSH puts what the link points to first', () => {
    const packet = encodePacket(FXP.SYMLINK, [3, 'first', 'second']);
    expect(parseRequest(packet, false)).toEqual({ op: 'symlink', id: 3, link: 'first', to: 'second' });
    const q = parseRequest(packet, true);
    expect(q).toEqual({ op: 'symlink', id: 3, link: 'second', to: 'first' });
    // From an OpenSSH client to a draft-order target: the link's judged path first, the pointed-to path as written.
    expect(withPaths(q as PathRequest, ['/l', '/x'], false)).toEqual(encodePacket(FXP.SYMLINK, [3, '/l', 'first']));
    expect(withPaths(q as PathRequest, ['/l', '/x'], true)).toEqual(encodePacket(FXP.SYMLINK, [3, 'first', '/l']));
  });

  it('gives no path for bytes that are not UTF-8, so the relay refuses rather than judge a different path', () => {
    const bad = Buffer.from([0x2f, 0xff, 0x61]);
    expect(parseRequest(encodePacket(FXP.REMOVE, [1, bad]), false)).toMatchObject({ op: 'remove', path: undefined });
    expect(parseRequest(encodePacket(FXP.RENAME, [1, 'ok', bad]), false)).toMatchObject({ op: 'rename', from: 'ok', to: undefined });
  });

  it('reads handle requests, READ, EXTENDED, and anything else as unsupported', () => {
    const h = Buffer.from('h1');
    expect(parseRequest(encodePacket(FXP.READ, [4, h, { u64: 2 ** 40 }, 65536]), false)).toEqual({ op: 'read', id: 4, handle: h, offset: 2 ** 40, length: 65536 });
    for (const [type, op] of [[FXP.CLOSE, 'close'], [FXP.FSTAT, 'fstat'], [FXP.READDIR, 'readdir'], [FXP.FSETSTAT, 'fsetstat']] as const) {
      expect(parseRequest(encodePacket(type, [5, h, { raw: Buffer.from([0, 0, 0, 0]) }]), false)).toEqual({ op, id: 5, handle: h });
    }
    expect(parseRequest(encodePacket(FXP.REALPATH, [6, '.']), false)).toEqual({ op: 'realpath', id: 6 });
    expect(parseRequest(encodePacket(FXP.EXTENDED, [7, 'posix-rename@openssh.com', 'a', 'b']), false)).toEqual({ op: 'extended', id: 7, name: 'posix-rename@openssh.com' });
    for (const type of [FXP.INIT, FXP.WRITE, FXP.STATUS, 99, 255]) expect(parseRequest(encodePacket(type, [8]), false)).toEqual({ op: 'unsupported', id: 8 });
  });

  it('refuses a truncated request, an OPEN without pflags and an offset past 2^53', () => {
    const refused = (packet: Buffer) => expect(() => parseRequest(packet, false)).toThrow(WardenError);
    refused(encodePacket(FXP.OPEN, [1, 'file']));
    refused(encodePacket(FXP.READ, [1, 'h', { u64: 0 }]));
    refused(encodePacket(FXP.READ, [1, 'h', { u64: 2 ** 53 + 2 }, 10]));
    refused(encodePacket(FXP.RENAME, [1, 'from']));
    refused(encodePacket(FXP.CLOSE, []));
  });

  it('never throws anything but a bad_request WardenError on garbage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (type, body, openssh) => {
        const packet = encodePacket(type, [{ raw: Buffer.from(body) }]);
        let q: SftpRequest | undefined;
        try {
          q = parseRequest(packet, openssh);
        } catch (err) {
          expect(err).toBeInstanceOf(WardenError);
          expect((err as WardenError).kind).toBe('bad_request');
          return;
        }
        expect(q.id).toBe(packet.readUInt32BE(5));
      }),
    );
  });
});

describe('parseWriteHead, openMode, cappedRead', () => {
  it("reads a WRITE's head as the framer cuts it", () => {
    fc.assert(
      fc.property(id, handle, fc.nat({ max: Number.MAX_SAFE_INTEGER }), (i, h, offset) => {
        const head = encodePacket(FXP.WRITE, [i, h, { u64: offset }, 0]);
        expect(parseWriteHead(head)).toEqual({ id: i, handle: h, offset });
      }),
    );
  });

  it('makes an OPEN an upload when it may change the file, and asks for the read side too when it also reads', () => {
    expect(openMode(FXF.READ)).toEqual({ upload: false, alsoRead: false });
    for (const f of [FXF.WRITE, FXF.APPEND, FXF.CREAT, FXF.TRUNC]) expect(openMode(f)).toEqual({ upload: true, alsoRead: false });
    expect(openMode(FXF.READ | FXF.WRITE)).toEqual({ upload: true, alsoRead: true });
    expect(openMode(FXF.EXCL)).toEqual({ upload: false, alsoRead: false });
  });

  it('rebuilds a READ with a smaller length and the same handle and offset', () => {
    const h = Buffer.from([0, 1, 2]);
    const q = parseRequest(encodePacket(FXP.READ, [11, h, { u64: 123456 }, 200000]), false);
    if (q.op !== 'read') throw new Error('not a read');
    expect(cappedRead(q, 65536)).toEqual(encodePacket(FXP.READ, [11, h, { u64: 123456 }, 65536]));
  });
});
