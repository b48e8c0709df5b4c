#!/usr/bin/env node
// The floor for any Node.js proxy: a relay that understands nothing and copies
// bytes both ways with stream.pipe. bench/pgbench.sh compares Warden with it —
// whatever Warden costs above this is the price of inspection and recording.
//
// Usage: node bench/bare-pipe.mjs LISTEN_PORT [UPSTREAM_HOST] [UPSTREAM_PORT]
// Listens on 127.0.0.1 only. Plain JS, no dependencies, on purpose.
import net from 'node:net';

const listenPort = Number(process.argv[2]);
const upstreamHost = process.argv[3] ?? '127.0.0.1';
const upstreamPort = Number(process.argv[4] ?? 5432);
if (!Number.isInteger(listenPort) || listenPort <= 0) {
  console.error('usage: node bench/bare-pipe.mjs LISTEN_PORT [UPSTREAM_HOST] [UPSTREAM_PORT]');
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect(upstreamPort, upstreamHost);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  // One side failing ends the pair; errors are expected when a peer hangs up.
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(upstream).pipe(client);
});

server.listen(listenPort, '127.0.0.1', () => {
  console.log(`bare-pipe: 127.0.0.1:${listenPort} -> ${upstreamHost}:${upstreamPort}`);
});

// Exit at once on a signal: open relays die with the process.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
