// bench/pg-relay-cpu.ts over real loopback sockets: what the relay's process spends per pgbench -S
// transaction when its reads and writes are real TCP, GC and kernel time included.
//
// This process runs the gateway's side only (bench/pg-relay-gateway.ts, as bench/pg-relay-cpu.ts does); a child process plays both
// pgbench's SESSIONS clients (one transaction in flight each) and the PostgreSQL target (answering
// with its exact bytes, one int4 row '0'). The CPU of this process alone (user + system) is
// divided by the transactions, per connection (plain `bench`, masked `bench_mask`), interleaved
// over ROUNDS. The child's CPU is not counted.
//
// Usage: [MODES='simple prepared'] [CONNS='bench bench_mask'] [SESSIONS=8] [SLICE=3 (s per slice)] [ROUNDS=4] npx tsx bench/pg-relay-sockets.ts
import { fork } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { answerOf, commandOf, createBenchGateway, interleaved, prepared, prepareSync, type Mode } from './pg-relay-gateway.ts';

const mode = process.env.CHILD_MODE;
if (mode !== undefined) await child(mode as Mode);
else await parent();

/** The child: a fake target (listening) and SESSIONS fake clients driving transactions through the relay. */
async function child(m: Mode): Promise<void> {
  const masked = process.env.CHILD_CONNECTION === 'bench_mask';
  const answer = answerOf(m);
  const target = createServer((s) => s.on('data', (c: Buffer) => s.write(c[0] === 0x50 ? prepared : answer)));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  process.send!({ targetPort: (target.address() as { port: number }).port });
  const { clientPort, sessions, seconds } = await new Promise<{ clientPort: number; sessions: number; seconds: number }>((r) => process.once('message', r as never));
  let count = 0;
  let stop = false;
  let aid = 1;
  const run = (s: Socket) =>
    new Promise<void>((done) => {
      // One transaction in flight; the next goes when the answer's ReadyForQuery (its last 6 bytes) came.
      const next = () => (stop ? done() : s.write(commandOf(m, (aid = (aid * 7919) % 1_000_000) + 1)));
      s.on('data', (c: Buffer) => {
        if (c[c.length - 6] !== 0x5a) return;
        // The bench measures something only if the masked connection's rows come out masked (and the plain one's do not).
        if (c.length > 20 && c.includes('****') !== masked) throw new Error(`unexpected answer: ${JSON.stringify(c.toString('latin1'))}`);
        count++;
        next();
      });
      if (m === 'prepared') s.write(prepareSync);
      else next();
    });
  const sockets = await Promise.all(Array.from({ length: sessions }, () => new Promise<Socket>((r) => { const s = connect(clientPort, '127.0.0.1', () => r(s)); })));
  const running = sockets.map(run);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  process.send!({ phase: 'start' });
  const from = count;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  process.send!({ phase: 'stop', tx: count - from });
  stop = true;
  await Promise.all(running);
  for (const s of sockets) s.destroy();
  target.close();
  process.disconnect();
}

async function parent(): Promise<void> {
  const gateway = await createBenchGateway('pg-relay-sockets');
  let seq = 0;

  async function once(connection: string, m: Mode): Promise<number> {
    const kid = fork(fileURLToPath(import.meta.url), { env: { ...process.env, CHILD_MODE: m, CHILD_CONNECTION: connection }, execArgv: process.execArgv });
    const { targetPort } = await new Promise<{ targetPort: number }>((r) => kid.once('message', r as never));
    const sessions: { close(): Promise<void> }[] = [];
    const server = createServer((client) => {
      client.setNoDelay(true);
      const upstream = connect(targetPort, '127.0.0.1');
      upstream.setNoDelay(true);
      void gateway.open(connection, `ses_${++seq}`, client, upstream).then((session) => sessions.push(session));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kid.send({ clientPort: (server.address() as { port: number }).port, sessions: Number(process.env.SESSIONS ?? 8), seconds: Number(process.env.SLICE ?? 3) });
    let before = process.cpuUsage();
    const exited = new Promise((r) => kid.once('exit', r));
    const tx = await new Promise<number>((resolve, reject) => {
      kid.on('message', (msg: { phase: string; tx?: number }) => {
        if (msg.phase === 'start') before = process.cpuUsage();
        else resolve(msg.tx!);
      });
      void exited.then(() => reject(new Error(`the client/target process ended early (${connection} ${m})`)));
    });
    const used = process.cpuUsage(before);
    await exited;
    for (const session of sessions) await session.close();
    server.close();
    return (used.user + used.system) / tx;
  }

  try {
    await interleaved(Number(process.env.ROUNDS ?? 4), once);
  } finally {
    gateway.dispose();
  }
}
