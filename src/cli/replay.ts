import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { WardenError } from '../core/errors.ts';
import { playCast } from './cast-player.ts';
import { action } from './output.ts';
import { connect, type ApiFlags } from './target.ts';

/**
 * `warden replay <session>`: plays an interactive SSH shell of a recorded
 * session in this terminal, as the user saw it, fetched from the API
 * (`GET /api/v1/sessions/:id/cast`). Admins and auditors.
 */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("play a session's interactive shell in this terminal, at real speed or faster (admin; auditors too)")
    .argument('<session>', 'session id (see `warden sessions list`)')
    .option('--speed <n>', 'play this many times faster (0.1-1000)', parseSpeed, 1)
    .option('--max-idle <seconds>', 'shorten every pause to at most this long', parseSeconds)
    .option('--shell <n>', 'which shell of the session, when it opened several', parsePositive, 1)
    .option('--url <url>', 'Warden API URL (default: $WARDEN_URL or the one saved by `warden login`)')
    .option('--token <token>', 'Warden token (default: $WARDEN_TOKEN or the one saved by `warden login`)')
    .action(
      action(async (id: string, flags: ApiFlags & { speed: number; maxIdle?: number; shell: number }) => {
        const { api } = await connect(flags);
        const body = await api.sessionCastRaw(id, flags.shell);
        try {
          const { events } = await playCast(lines(body), {
            speed: flags.speed,
            ...(flags.maxIdle === undefined ? {} : { maxIdleSeconds: flags.maxIdle }),
            write: (text) => new Promise<void>((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once('drain', () => resolve()))),
            sleep: (ms) => sleep(ms),
          });
          process.stderr.write(`\r\n[warden: end of session ${id}, ${events} output events]\r\n`);
        } catch (err) {
          if (err instanceof WardenError) throw err;
          throw new WardenError('bad_request', `the recording of session ${id} cannot be played: ${(err as Error).message}`);
        }
      }),
    );
}

/** The body's lines, decoded as UTF-8 across chunk boundaries. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    yield* parts;
  }
  pending += decoder.decode();
  if (pending !== '') yield pending;
}

function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.1 || n > 1000) throw new InvalidArgumentError('a number from 0.1 to 1000');
  return n;
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of seconds, 0 or more');
  return n;
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number from 1');
  return n;
}
