#!/usr/bin/env node
// bench/bare-pipe.mjs with the reads Warden itself uses since session 10 (src/transport/onread-socket.ts):
// both sockets read through Node's `onread` (one reusable buffer, no Readable stream machinery per
// read), each read copied into a Buffer of its own and written to the other side at once. It costs
// ~1.3–2.4 µs of CPU less per sysbench point select than bare-pipe.mjs's stream.pipe (session 10,
// interleaved slices), so it is the stricter floor: give it to bench/mysql.sh as PIPE=bench/onread-pipe.mjs.
//
// Usage: node bench/onread-pipe.mjs LISTEN_PORT [UPSTREAM_HOST] [UPSTREAM_PORT]
// Listens on 127.0.0.1 only. Plain JS, no dependencies, on purpose; it leans on the same Node
// internals as Warden's listener (an accepted socket's `_handle` re-made into an onread socket).
import net from 'node:net';

const listenPort = Number(process.argv[2]);
const upstreamHost = process.argv[3] ?? '127.0.0.1';
const upstreamPort = Number(process.argv[4] ?? 5432);
if (!Number.isInteger(listenPort) || listenPort <= 0) {
  console.error('usage: node bench/onread-pipe.mjs LISTEN_PORT [UPSTREAM_HOST] [UPSTREAM_PORT]');
  process.exit(2);
}

/** onread options whose reads are copied and written to `to()`; a full writer pauses `from()` until it drains. */
const forward = (from, to) => ({
  buffer: Buffer.allocUnsafe(64 * 1024),
  callback: (n, buf) => {
    if (!to().write(Buffer.from(buf.subarray(0, n)))) from().pause();
  },
});

const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
  const handle = accepted._handle;
  accepted._handle = null;
  let client;
  const upstream = net.connect({ port: upstreamPort, host: upstreamHost, noDelay: true, onread: forward(() => upstream, () => client) });
  client = new net.Socket({ handle, onread: forward(() => client, () => upstream) });
  client.setNoDelay(true);
  upstream.on('drain', () => client.resume());
  client.on('drain', () => upstream.resume());
  // One side failing ends the pair; errors are expected when a peer hangs up.
  const close = () => {
    client.destroy();
    upstream.destroy();
    accepted.destroy();
  };
  for (const s of [client, upstream]) {
    s.on('error', close);
    s.on('close', close);
    s.on('end', close);
  }
});

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`onread-pipe: 127.0.0.1:${listenPort} -> ${upstreamHost}:${upstreamPort}`);
});

// Exit at once on a signal: open relays die with the process.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
