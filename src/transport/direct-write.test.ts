import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { directWriter } from './direct-write.ts';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

/** A connected pair over loopback: `local` is the side written to, `peer` the server's accepted socket. */
async function pair(): Promise<{ local: Socket; peer: Socket }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((s) => resolve(s));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server!.address() as { port: number }).port;
  const local = connect({ port, host: '127.0.0.1', noDelay: true });
  await once(local, 'connect');
  const peer = await accepted;
  sockets.push(local, peer);
  return { local, peer };
}

function collect(peer: Socket): () => Buffer {
  const got: Buffer[] = [];
  peer.on('data', (b: Buffer) => got.push(b));
  return () => Buffer.concat(got);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('directWriter', () => {
  it('writes an idle socket without socket.write, and the peer gets every byte', async () => {
    const { local, peer } = await pair();
    const received = collect(peer);
    const write = directWriter(local);
    const viaSocket = vi.spyOn(local, 'write');
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`statement ${i};`));
    for (const c of chunks) expect(write(c)).toBe(true);
    expect(viaSocket).not.toHaveBeenCalled();
    await until(() => received().length === Buffer.concat(chunks).length);
    expect(received().equals(Buffer.concat(chunks))).toBe(true);
  });

  it('keeps the order when the kernel cannot take a chunk at once: false, then drain, and later writes queue behind it', async () => {
    const { local, peer } = await pair();
    peer.pause();
    const write = directWriter(local);
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const drained = once(local, 'drain');
    expect(write(big)).toBe(false);
    // In flight: later chunks (direct or not) go behind it.
    const tail = Buffer.from('after the big one');
    write(tail);
    local.write(Buffer.from('!'));
    const received = collect(peer);
    peer.resume();
    await drained;
    await until(() => received().length === big.length + tail.length + 1);
    const all = received();
    expect(all.subarray(0, big.length).every((b) => b === 7)).toBe(true);
    expect(all.subarray(big.length).toString()).toBe('after the big one!');
    // Idle again: direct once more.
    const viaSocket = vi.spyOn(local, 'write');
    expect(write(Buffer.from('x'))).toBe(true);
    expect(viaSocket).not.toHaveBeenCalled();
  });

  it('goes through socket.write while the Writable holds bytes of its own', async () => {
    const { local, peer } = await pair();
    peer.pause();
    const received = collect(peer);
    // Fill the Writable: the kernel's buffers are full, so socket.write queues.
    const big = Buffer.alloc(16 * 1024 * 1024, 1);
    local.write(big);
    expect(local.writableLength).toBeGreaterThan(0);
    const write = directWriter(local);
    const viaSocket = vi.spyOn(local, 'write');
    write(Buffer.from('behind'));
    expect(viaSocket).toHaveBeenCalledTimes(1);
    peer.resume();
    await until(() => received().length === big.length + 6);
    expect(received().subarray(big.length).toString()).toBe('behind');
  });

  it('destroys the socket with the error when a write fails', async () => {
    const { local, peer } = await pair();
    const write = directWriter(local);
    const errored = once(local, 'error');
    peer.resetAndDestroy();
    // The reset may take a moment to reach this side; writes fail once it has.
    for (let i = 0; i < 200 && !local.destroyed; i++) {
      write(Buffer.alloc(64 * 1024));
      await new Promise((r) => setTimeout(r, 5));
    }
    const [err] = (await errored) as [NodeJS.ErrnoException];
    expect(local.destroyed).toBe(true);
    expect(err.syscall === 'write' || err.syscall === 'read').toBe(true);
    expect(err.code).toMatch(/^E[A-Z]+/);
  });

  it('is the stream’s own write for a stream that is not a socket', () => {
    const stream = new PassThrough();
    const viaStream = vi.spyOn(stream, 'write');
    const write = directWriter(stream);
    expect(write(Buffer.from('a'))).toBe(true);
    expect(viaStream).toHaveBeenCalledTimes(1);
    expect(stream.read()?.toString()).toBe('a');
  });
});
