import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { action, shortTime, table } from './output.ts';
import { renderEvent, renderSession } from './render.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden sessions …`: who connected where, what they ran, and what data they got back. */
export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('list, inspect, export and kill recorded sessions (admin; auditors may read)');

  apiCommand(sessions.command('list').description('list sessions, newest first'))
    .option('--user <name>', 'only this user')
    .option('--connection <name>', 'only this connection')
    .option('--open', 'only sessions still open')
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit, 50)
    .action(
      action(async (flags: ApiFlags & { user?: string; connection?: string; open?: boolean; limit: number }) => {
        const { api, out } = await connect(flags);
        const list = await api.listSessions({
          limit: flags.limit,
          ...(flags.user ? { user: flags.user } : {}),
          ...(flags.connection ? { connection: flags.connection } : {}),
          ...(flags.open ? { open: 'true' as const } : {}),
        });
        out.result(list, () =>
          table(
            ['ID', 'USER', 'CONNECTION', 'CLIENT', 'STARTED', 'ENDED', 'STMTS', 'END'],
            list.map((s) => [s.id, s.userName, s.connectionName, s.clientAddress, shortTime(s.startedAt), s.live ? 'open' : shortTime(s.endedAt), s.statements, s.endReason]),
          ),
        );
      }),
    );

  apiCommand(sessions.command('show').description('show a session and every statement in it, with the rows returned').argument('<id>'))
    .option('--rows <n>', 'rows to print per statement', parseLimit, 5)
    .action(
      action(async (id: string, flags: ApiFlags & { rows: number }) => {
        const { api, out } = await connect(flags);
        const session = await api.getSession(id);
        if (out.json) {
          const events = [];
          for await (const e of api.sessionEvents(id)) events.push(e);
          out.result({ session, events }, () => '');
          return;
        }
        process.stdout.write(`${renderSession(session).join('\n')}\n`);
        for await (const e of api.sessionEvents(id)) {
          const lines = renderEvent(e, flags.rows);
          if (lines.length > 0) process.stdout.write(`\n${lines.join('\n')}\n`);
        }
      }),
    );

  sessions
    .command('export')
    .description("write a session's recording as JSON lines, one event per line")
    .argument('<id>')
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .option('--url <url>', 'Warden API URL (default: $WARDEN_URL or the one saved by `warden login`)')
    .option('--token <token>', 'Warden token (default: $WARDEN_TOKEN or the one saved by `warden login`)')
    .action(
      action(async (id: string, flags: ApiFlags & { output?: string }) => {
        const { api } = await connect(flags);
        const body = Readable.fromWeb(await api.sessionEventsRaw(id) as import('node:stream/web').ReadableStream<Uint8Array>);
        const sink = flags.output ? createWriteStream(flags.output, { mode: 0o600 }) : stdoutSink();
        await pipeline(body, sink);
        if (flags.output) process.stderr.write(`wrote ${flags.output}\n`);
      }),
    );

  apiCommand(sessions.command('kill').description('end a session that is open on the gateway now').argument('<id>'))
    .action(
      action(async (id: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        await api.killSession(id);
        out.result({ killed: id }, () => `killed session ${id}`);
      }),
    );
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000.');
  return n;
}

/** stdout as a pipeline sink that is never closed (closing it would break later writes). */
function stdoutSink(): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      if (process.stdout.write(chunk)) done();
      else process.stdout.once('drain', () => done());
    },
  });
}
