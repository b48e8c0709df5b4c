import { createReadStream, mkdirSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WardenError } from '../errors.ts';
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
  const pathOf = (sessionId: string) => {
    // Session ids are ours (`ses_…`), but the API passes user input here: never let it name another path.
    if (!/^[A-Za-z0-9_-]+$/.test(sessionId)) throw new WardenError('not_found', `no recording for session "${sessionId}"`);
    return join(dir, `${sessionId}.jsonl`);
  };
  return {
    open: (sessionId) => new DiskWriter(pathOf(sessionId), opts.flushIntervalMs),
    read: (sessionId) => readLines(pathOf(sessionId), sessionId),
  };
}

class DiskWriter implements RecordingWriter {
  readonly #path: string;
  #file: Promise<FileHandle> | undefined;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #intervalMs: number;

  constructor(path: string, intervalMs: number) {
    this.#path = path;
    this.#intervalMs = intervalMs;
  }

  append(event: RecordingEvent): void {
    if (this.#closed) return;
    this.#pending.push(JSON.stringify(event));
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs);
  }

  /** Chains one write of everything pending; writes never overlap, so lines stay in order. */
  #flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#writing;
    const text = this.#pending.join('\n') + '\n';
    this.#pending = [];
    this.#file ??= open(this.#path, 'a', 0o600);
    const file = this.#file;
    this.#writing = this.#writing
      .then(async () => {
        await (await file).appendFile(text);
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
