/**
 * Plays an asciicast v2 recording: writes each output event (`o`) in order,
 * waiting between events as long as the recording did, divided by `speed`
 * and capped at `maxIdleSeconds`. Input (`i`) and resize (`r`) events are not
 * written: the terminal shows what the user saw. The clock is injected, so
 * tests check the pauses without waiting for them.
 *
 * @see https://docs.asciinema.org/manual/asciicast/v2/
 */
export interface PlayOptions {
  speed: number;
  maxIdleSeconds?: number;
  write(text: string): void | Promise<void>;
  sleep(ms: number): Promise<void>;
}

export interface CastHeader {
  version: number;
  width: number;
  height: number;
}

/** Throws an Error naming the line when the recording is not asciicast v2. */
export async function playCast(lines: AsyncIterable<string>, opts: PlayOptions): Promise<{ header: CastHeader; events: number; seconds: number }> {
  let header: CastHeader | undefined;
  let last = 0;
  let played = 0;
  let events = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const value = parse(line, n);
    if (header === undefined) {
      if (!isHeader(value)) throw new Error(`line ${n}: not an asciicast v2 header`);
      header = value;
      continue;
    }
    if (!Array.isArray(value) || typeof value[0] !== 'number' || typeof value[1] !== 'string' || typeof value[2] !== 'string') throw new Error(`line ${n}: not an asciicast event`);
    const [at, code, data] = value as [number, string, string];
    let gap = Math.max(0, at - last);
    last = at;
    if (opts.maxIdleSeconds !== undefined) gap = Math.min(gap, opts.maxIdleSeconds);
    const wait = (gap * 1000) / opts.speed;
    played += wait / 1000;
    if (wait > 0) await opts.sleep(wait);
    if (code === 'o') {
      events++;
      await opts.write(data);
    }
  }
  if (header === undefined) throw new Error('empty recording: no asciicast header');
  return { header, events, seconds: played };
}

function parse(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`line ${n}: not JSON`);
  }
}

function isHeader(v: unknown): v is CastHeader {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { version?: unknown }).version === 2;
}
