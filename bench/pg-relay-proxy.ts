// bench/pg-relay-cpu.ts's gateway side as a real proxy in front of the real PostgreSQL, for pgbench:
// what the relay costs on the wire when nothing else of the gateway runs (no API, store, logger,
// session registry, sign-in; the login is passed through as bytes). Compared with the bare pipe
// and with the whole gateway under the same pgbench (perf stat -p, or cpu ticks), it splits the
// gateway's cost above the pipe into the relay's and the rest of the process's.
//
// Each accepted client: an SSLRequest is refused ('N'); the StartupMessage goes to PostgreSQL as
// it came; PostgreSQL's answer comes back as it is up to its ReadyForQuery (trust authentication
// only); then the bench gateway's Relay (gatekeeper, policy, tracker with masking and recording)
// takes both sockets, read through onread as the gateway's are. The connection name (CONNECTION,
// `bench` or `bench_mask`) picks bench/warden-lib.sh's rules.
//
// Usage: [CONNECTION=bench] [TARGET=127.0.0.1:5432] npx tsx bench/pg-relay-proxy.ts PORT
// Then: pgbench -n -S -c 8 -T 10 "host=127.0.0.1 port=PORT dbname=… user=… sslmode=disable"
import { createServer, type Socket } from 'node:net';
import { adoptOnread, connectOnread } from '../src/transport/onread-socket.ts';
import { createBenchGateway } from './pg-relay-gateway.ts';

const port = Number(process.argv[2] ?? 0);
const [targetHost, targetPort] = (process.env.TARGET ?? '127.0.0.1:5432').split(':');
const connection = process.env.CONNECTION ?? 'bench';
const gateway = await createBenchGateway('pg-relay-proxy');
let seq = 0;

/**
 * Bytes from `socket` up to the end `done` finds in them (-1: not yet); with whatever came after
 * them, which the callers require to be nothing (a client sends nothing before ReadyForQuery).
 */
function readUntil(socket: Socket, done: (buffered: Buffer) => number): Promise<{ head: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = done(buffered);
      if (end < 0) return;
      // No pause: an onread socket holds what comes with no 'data' listener, for the next one.
      socket.off('data', onData);
      resolve({ head: buffered.subarray(0, end), rest: buffered.subarray(end) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** The length of the startup packet at the front, or -1 while it is incomplete. */
const startupLength = (b: Buffer) => (b.length >= 4 && b.length >= b.readUInt32BE(0) ? b.readUInt32BE(0) : -1);

/** The end of PostgreSQL's answer to a startup (after its ReadyForQuery), or -1. */
function afterReady(b: Buffer): number {
  for (let at = 0; at + 5 <= b.length; ) {
    const end = at + 1 + b.readUInt32BE(at + 1);
    if (end > b.length) return -1;
    if (b[at] === 0x5a) return end;
    at = end;
  }
  return -1;
}

async function serve(client: Socket): Promise<void> {
  let first = await readUntil(client, startupLength);
  if (first.head.readUInt32BE(4) === 80_877_103) {
    client.write('N');
    first = await readUntil(client, startupLength);
  }
  const upstream = connectOnread(targetHost!, Number(targetPort));
  await new Promise<void>((resolve, reject) => upstream.once('connect', resolve).once('error', reject));
  upstream.write(first.head);
  const answer = await readUntil(upstream, afterReady);
  if (first.rest.length > 0 || answer.rest.length > 0) throw new Error('bytes after the startup: this harness does not pass them on');
  client.write(answer.head);
  if (process.env.RAW === '1') {
    // The same sockets spliced with no relay: what the onread sockets cost against bench/bare-pipe.mjs.
    client.on('data', (b: Buffer) => upstream.write(b));
    upstream.on('data', (b: Buffer) => client.write(b));
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    return;
  }
  const session = await gateway.open(connection, `ses_proxy_${++seq}`, client, upstream);
  const close = () => void session.close();
  client.once('close', close);
  upstream.once('close', close);
}

const server = createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  const client = adoptOnread(accepted);
  client.on('error', () => undefined);
  serve(client).catch((err: unknown) => {
    console.error(err);
    client.destroy();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${(server.address() as { port: number }).port}`));
const stop = () => {
  server.close();
  gateway.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
