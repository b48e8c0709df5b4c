import { chmodSync, readlinkSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { encodePacket, FX, FXF, FXP, PacketReader, SftpFramer, statusPacket } from '../../src/protocols/ssh/sftp-packets.ts';
import { endedSession } from '../helpers/gateway.ts';
import { sftpBatch } from './file-clients.ts';
import { fileEvents, fileTransferSuite } from './file-suite.ts';
import { connectSsh2 } from './ssh-client.ts';

// The relay as a raw SFTP peer sees it: packets the OpenSSH and ssh2 clients never send.
const area = `/tmp/warden-sftp-raw-${process.pid}`;
const s = fileTransferSuite({ rules: [], area, localPrefix: 'warden-sftp-raw-local-' });

/** An SFTP channel through the gateway, spoken to packet by packet; `answer()` waits for the next whole answer. */
async function rawSftp(use: (io: { send(b: Buffer): void; answer(): Promise<Buffer>; closed: Promise<void> }) => Promise<void>): Promise<void> {
  const client = await connectSsh2(s.t.sshPort, 'alice@box', s.token);
  try {
    const ch = await new Promise<ClientChannel>((resolve, reject) => client.subsys('sftp', (err, c) => (err ? reject(err) : resolve(c))));
    const framer = new SftpFramer(FXP.DATA, 1024 * 1024);
    const answers: Buffer[] = [];
    let wake: (() => void) | undefined;
    let parts: Buffer[] = [];
    ch.on('data', (b: Buffer) => {
      framer.push(b);
      for (let f = framer.next(); f; f = framer.next()) {
        if (f.kind === 'whole') answers.push(f.packet);
        else if (f.kind === 'head') parts = [f.head];
        else if ((parts.push(f.chunk), f.last)) answers.push(Buffer.concat(parts));
      }
      wake?.();
    });
    const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
    const answer = async () => {
      while (answers.length === 0) await Promise.race([new Promise<void>((r) => (wake = r)), closed.then(() => Promise.reject(new Error('channel closed')))]);
      return answers.shift()!;
    };
    ch.write(encodePacket(FXP.INIT, [3]));
    expect((await answer())[4]).toBe(FXP.VERSION);
    await use({ send: (b) => ch.write(b), answer, closed });
  } finally {
    client.end();
  }
}

const statusOf = (p: Buffer) => {
  const r = new PacketReader(p);
  return { type: p[4], id: r.u32(), code: r.u32(), message: r.text() };
};

describe('the SFTP relay, packet by packet', () => {
  test('unknown request types and extensions the gateway does not relay are refused by it; the channel goes on', async () => {
    await rawSftp(async ({ send, answer }) => {
      send(encodePacket(99, [5, 'whatever']));
      expect(statusOf(await answer())).toMatchObject({ type: FXP.STATUS, id: 5, code: FX.OP_UNSUPPORTED });
      send(encodePacket(FXP.EXTENDED, [6, 'made-up@example.com', '/a', '/b']));
      expect(statusOf(await answer())).toMatchObject({ type: FXP.STATUS, id: 6, code: FX.OP_UNSUPPORTED });
      // Read-only lookups pass like REALPATH: a user's home directory, the names of ids.
      send(encodePacket(FXP.EXTENDED, [8, 'home-directory', s.sshd.user]));
      const home = await answer();
      expect(home[4]).toBe(FXP.NAME);
      expect(new PacketReader(home, 13).text()).toBe(`/home/${s.sshd.user}`);
      // uid 0 and gid 0, each list a string of uint32s; the reply is two strings of names.
      const zero = Buffer.alloc(4);
      send(encodePacket(FXP.EXTENDED, [12, 'users-groups-by-id@openssh.com', zero, zero]));
      const names = await answer();
      expect(names[4]).toBe(FXP.EXTENDED_REPLY);
      const r = new PacketReader(names, 9);
      expect([new PacketReader(r.bytes(), 0).text(), new PacketReader(r.bytes(), 0).text()]).toEqual(['root', 'root']);
      // Relayed extensions on a handle the gateway did not see opened are refused like READ on one.
      send(encodePacket(FXP.EXTENDED, [9, 'fsync@openssh.com', Buffer.from('forged')]));
      expect(statusOf(await answer())).toMatchObject({ id: 9, code: FX.FAILURE, message: 'invalid handle' });
      send(encodePacket(FXP.EXTENDED, [10, 'fstatvfs@openssh.com', Buffer.from('forged')]));
      expect(statusOf(await answer())).toMatchObject({ id: 10, code: FX.FAILURE, message: 'invalid handle' });
      // expand-path is relayed like REALPATH (ssh2's own encoding of it is broken, so it is tested here).
      send(encodePacket(FXP.EXTENDED, [11, 'expand-path@openssh.com', `${area}/../${area.split('/').pop()!}`]));
      const expanded = await answer();
      expect(expanded[4]).toBe(FXP.NAME);
      expect(new PacketReader(expanded, 13).text()).toBe(area);
      send(encodePacket(FXP.REALPATH, [7, '/tmp']));
      expect((await answer())[4]).toBe(FXP.NAME);
    });
  });

  test('a handle the gateway did not see opened is refused; a file opened to read may not be written', async () => {
    writeFileSync(`${area}/ro.txt`, 'keep me\n');
    chmodSync(`${area}/ro.txt`, 0o666);
    await rawSftp(async ({ send, answer }) => {
      send(encodePacket(FXP.READ, [1, Buffer.from('forged'), { u64: 0 }, 10]));
      expect(statusOf(await answer())).toMatchObject({ id: 1, code: FX.FAILURE, message: 'invalid handle' });
      send(encodePacket(FXP.OPEN, [2, `${area}/ro.txt`, FXF.READ, 0]));
      const opened = await answer();
      expect(opened[4]).toBe(FXP.HANDLE);
      const handle = new PacketReader(opened, 9).bytes();
      send(encodePacket(FXP.WRITE, [3, handle, { u64: 0 }, Buffer.from('overwritten')]));
      expect(statusOf(await answer())).toMatchObject({ id: 3, code: FX.PERMISSION_DENIED, message: 'warden: this file was not opened for writing' });
      // A READ larger than the stated limit is cut to it; the payload streams through whole.
      send(encodePacket(FXP.READ, [4, handle, { u64: 0 }, 1 << 20]));
      const data = await answer();
      expect(data[4]).toBe(FXP.DATA);
      expect(new PacketReader(data, 9).bytes().toString()).toBe('keep me\n');
      send(encodePacket(FXP.CLOSE, [5, handle]));
      expect(statusOf(await answer())).toMatchObject({ id: 5, code: FX.OK });
    });
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(events.find((e) => e.type === 'file')).toMatchObject({ op: 'download', path: `${area}/ro.txt`, bytes: 8 });
  });

  test('garbage (an oversized length) ends the channel, and the recording says why', async () => {
    await rawSftp(async ({ send, closed }) => {
      send(Buffer.from([0x7f, 0xff, 0xff, 0xff, FXP.WRITE, 0, 0, 0, 1]));
      await closed;
    });
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringMatching(/^sftp: the client sent a packet of \d+ bytes, over the \d+ allowed/) }));
  });

  test('a truncated request ends the channel', async () => {
    await rawSftp(async ({ send, closed }) => {
      // A STAT whose path length runs past the packet.
      send(encodePacket(FXP.STAT, [1, { raw: Buffer.from([0, 0, 1, 0, 0x2f]) }]));
      await closed;
    });
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', message: 'sftp: the client sent a truncated packet' }));
    // The status builder the gateway uses for refusals is what the draft says: id, code, message, language.
    expect(statusOf(statusPacket(3, FX.PERMISSION_DENIED, 'no'))).toEqual({ type: FXP.STATUS, id: 3, code: FX.PERMISSION_DENIED, message: 'no' });
  });

  test('a symlink lands as asked whichever path order the client uses (OpenSSH swaps them, ssh2 follows the draft)', async () => {
    // OpenSSH's sftp: `ln -s target link`.
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`ln -s ${area}/pointed-a ${area}/link-a`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readlinkSync(`${area}/link-a`)).toBe(`${area}/pointed-a`);
    // ssh2's client sees the gateway's ident (not OpenSSH), so it sends linkpath first.
    const client = await connectSsh2(s.t.sshPort, 'alice@box', s.token);
    try {
      const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => client.sftp((err, w) => (err ? reject(err) : resolve(w))));
      await new Promise<void>((resolve, reject) => sftp.symlink(`${area}/pointed-b`, `${area}/link-b`, (err) => (err ? reject(err) : resolve())));
    } finally {
      client.end();
    }
    expect(readlinkSync(`${area}/link-b`)).toBe(`${area}/pointed-b`);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events).find((e) => e.op === 'symlink')).toMatchObject({ path: `${area}/link-b`, to: `${area}/pointed-b` });
  });
});
