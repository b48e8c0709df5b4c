import { expect, test } from 'vitest';
import { playCast } from './cast-player.ts';

async function* from(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

const cast = [
  JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1 }),
  JSON.stringify([0.5, 'o', '$ ']),
  JSON.stringify([1.5, 'i', 'ls\r']),
  JSON.stringify([2.0, 'o', 'ls\r\n']),
  JSON.stringify([2.0, 'r', '100x30']),
  JSON.stringify([12.0, 'o', 'a  b\r\n$ ']),
];

/** Plays with a recording clock instead of waiting. */
async function play(lines: string[], speed: number, maxIdleSeconds?: number) {
  const log: (string | number)[] = [];
  const result = await playCast(from(lines), {
    speed,
    ...(maxIdleSeconds === undefined ? {} : { maxIdleSeconds }),
    write: (text) => void log.push(text),
    sleep: async (ms) => void log.push(ms),
  });
  return { log, result };
}

test('writes the output events in order, and only them, pausing as recorded', async () => {
  const { log, result } = await play(cast, 1);
  expect(log).toEqual([500, '$ ', 1000, 500, 'ls\r\n', 10_000, 'a  b\r\n$ ']);
  expect(log.filter((x) => typeof x === 'string').join('')).toBe('$ ls\r\na  b\r\n$ ');
  expect(result).toMatchObject({ header: { width: 80, height: 24 }, events: 3, seconds: 12 });
});

test('--speed divides every pause, --max-idle caps each one', async () => {
  expect((await play(cast, 4)).log.filter((x) => typeof x === 'number')).toEqual([125, 250, 125, 2500]);
  expect((await play(cast, 1, 2)).log.filter((x) => typeof x === 'number')).toEqual([500, 1000, 500, 2000]);
  expect((await play(cast, 2, 2)).result.seconds).toBe(2);
});

test('a recording that is not asciicast v2 is refused with the line that is wrong', async () => {
  await expect(play([], 1)).rejects.toThrow(/no asciicast header/);
  await expect(play(['{"version":1}'], 1)).rejects.toThrow(/line 1: not an asciicast v2 header/);
  await expect(play([cast[0]!, 'nope'], 1)).rejects.toThrow(/line 2: not JSON/);
  await expect(play([cast[0]!, '{"a":1}'], 1)).rejects.toThrow(/line 2: not an asciicast event/);
});
