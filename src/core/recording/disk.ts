import { createReadStream, mkdirSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WardenError } from '../errors.ts';
import { EventLines } from './json-line.ts';
import type { RecordingEvent, RecordingStorage, RecordingWriter } from './types.ts';

/**
 * Recordings as JSON lines on local disk, one file per session
 * (`<dir>/<sessionId>.jsonl`). Appends are buffered in memory and written in
 * one batch at most every `flushIntervalMs` (never an fsync per statement),
 * so recording stays off the relay's hot path and a crash loses at most the
 * last interval.
 */
export function createDiskRecordings(dir: string, opts: { flushIntervalMs: number }): RecordingStorage {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // One memo of recently written JSON for every writer (json-line.ts).
  const lines = new EventLines();
  const pathOf = (sessionId: string) => {
    // Session ids are ours (`ses_…`), but the API passes user input here: never let it name another path.
    if (!/^[A-Za-z0-9_-]+$/.test(sessionId)) throw new WardenError('not_found', `no recording for session "${sessionId}"`);
    return join(dir, `${sessionId}.jsonl`);
  };
  return {
    open: (sessionId) => new DiskWriter(pathOf(sessionId), opts.flushIntervalMs, lines),
    read: (sessionId) => readLines(pathOf(sessionId), sessionId),
  };
}

/** The first buffer of a flush interval is small (an idle or quiet session holds little); the next ones are larger. */
const firstChunkBytes = 4096;
const chunkBytes = 65536;

class DiskWriter implements RecordingWriter {
  readonly #path: string;
  #file: Promise<FileHandle> | undefined;
  /**
   * Lines waiting for the flush, as UTF-8 in buffers outside the JS heap: kept as strings for up
   * to a second under load, they were copied by every young-generation GC and then promoted,
   * which cost the gateway more per statement than writing them here.
   */
  #full: Buffer[] = [];
  #current: Buffer | undefined;
  #used = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #intervalMs: number;
  /** Writes each event's line (shared by the storage's writers). */
  readonly #lines: EventLines;

  constructor(path: string, intervalMs: number, lines: EventLines) {
    this.#path = path;
    this.#intervalMs = intervalMs;
    this.#lines = lines;
  }

  append(event: RecordingEvent): void {
    if (this.#closed) return;
    this.#put(this.#lines.line(event));
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs);
  }

  /** Adds one line (and its newline) to the pending buffers. */
  #put(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: enough room without measuring the line.
    const most = line.length * 3 + 1;
    let buf = this.#current;
    if (buf === undefined || buf.length - this.#used < most) {
      if (buf !== undefined && this.#used > 0) this.#full.push(buf.subarray(0, this.#used));
      buf = this.#current = Buffer.allocUnsafe(Math.max(buf === undefined && this.#full.length === 0 ? firstChunkBytes : chunkBytes, most));
      this.#used = 0;
    }
    this.#used += buf.write(line, this.#used);
    buf[this.#used++] = 0x0a;
  }

  /** Chains one write of everything pending; writes never overlap, so lines stay in order. */
  #flush(): Promise<void> {
    if (this.#current !== undefined && this.#used > 0) this.#full.push(this.#current.subarray(0, this.#used));
    this.#current = undefined;
    this.#used = 0;
    if (this.#full.length === 0) return this.#writing;
    const bytes = this.#full.length === 1 ? this.#full[0]! : Buffer.concat(this.#full);
    this.#full = [];
    this.#file ??= open(this.#path, 'a', 0o600);
    const file = this.#file;
    this.#writing = this.#writing
      .then(async () => {
        await (await file).appendFile(bytes);
      })
      .catch((err: unknown) => {
        // A recording that cannot be written must be loud, but it must not crash the gateway.
        process.emitWarning(`warden: cannot write recording ${this.#path}: ${(err as Error).message}`);
      });
    return this.#writing;
  }

  async close(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#flush();
    if (this.#file) await (await this.#file).close().catch(() => undefined);
  }
}

async function* readLines(path: string, sessionId: string): AsyncIterable<RecordingEvent> {
  if (!existsSync(path)) throw new WardenError('not_found', `no recording for session "${sessionId}"`);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as RecordingEvent;
    } catch {
      // A torn last line after a crash: everything before it is still the recording.
      return;
    }
  }
}
