import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../../core/clock.ts';

/**
 * A terminal session as asciicast v2, streamed to `<dir>/<sessionId>[-n].cast`
 * while it runs: a header line, then `[seconds, code, data]` lines — `o`
 * output, `i` input, `r` resize (`COLSxROWS`). Times come from the injected
 * clock. Multi-byte characters split across chunks are decoded whole (one
 * decoder per direction), so every line is valid JSON with valid UTF-8.
 *
 * @see https://docs.asciinema.org/manual/asciicast/v2/
 */
export class AsciicastWriter {
  readonly path: string;
  readonly #out: WriteStream;
  readonly #clock: Clock;
  readonly #start: number;
  readonly #decoders = { o: new StringDecoder('utf8'), i: new StringDecoder('utf8') };

  /** `file`: the cast's name in `dir` (castFileName). */
  constructor(dir: string, file: string, clock: Clock, header: { width: number; height: number; term: string }) {
    this.path = join(dir, file);
    this.#clock = clock;
    this.#start = clock.now().getTime();
    this.#out = createWriteStream(this.path, { mode: 0o600, flags: 'wx' });
    this.#out.on('error', () => undefined);
    this.#line({ version: 2, width: header.width, height: header.height, timestamp: Math.floor(this.#start / 1000), env: { TERM: header.term } });
  }

  output(b: Buffer): void {
    this.#event('o', this.#decoders.o.write(b));
  }

  input(b: Buffer): void {
    this.#event('i', this.#decoders.i.write(b));
  }

  resize(cols: number, rows: number): void {
    this.#event('r', `${cols}x${rows}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#out.end(() => resolve()));
  }

  #event(code: 'o' | 'i' | 'r', data: string): void {
    if (data === '') return;
    const seconds = (this.#clock.now().getTime() - this.#start) / 1000;
    this.#line([seconds, code, data]);
  }

  #line(value: unknown): void {
    this.#out.write(JSON.stringify(value) + '\n');
  }
}
