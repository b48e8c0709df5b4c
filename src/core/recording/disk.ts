import { createReadStream, mkdirSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { WardenError } from '../errors.ts';
import { ChunkPool } from './chunk-pool.ts';
import { EventLines } from './json-line.ts';
import { PackedOut } from './packed-bytes.ts';
import { PackedDecoders, writeFrame, type PackedRecord } from './packed.ts';
import { recordedEvents } from './recorded-events.ts';
import type { RecordingEvent, RecordingStorage, RecordingWriter, StatementEvent } from './types.ts';

/**
 * Recordings as JSON lines on local disk, one file per session
 * (`<dir>/<sessionId>.jsonl`). Appends are buffered in memory and written in
 * one batch at most every `flushIntervalMs` (never an fsync per statement),
 * so recording stays off the relay's hot path and a crash loses at most the
 * last interval. Packed records (packed.ts) go between the lines and are read
 * back with `decoders`. `chunks`: the pool of pending-line buffers (tests look
 * into it); one of its own by default.
 */
export function createDiskRecordings(dir: string, opts: { flushIntervalMs: number; decoders?: PackedDecoders; chunks?: ChunkPool }): RecordingStorage {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // One memo of recently written JSON for every writer (json-line.ts).
  const lines = new EventLines();
  // Pending-line buffers handed back after their write, for every writer (chunk-pool.ts says why).
  const chunks = opts.chunks ?? new ChunkPool(chunkBytes, pooledChunks);
  const decoders = opts.decoders ?? new PackedDecoders();
  // Where every writer writes packed records (used synchronously, one record at a time).
  const packed = new PackedOut();
  const place: Placers = {
    statement: (event, buf, pos, end) => lines.write(event, buf, pos, end),
    packed: (record, buf, pos, end) => writeFrame(packed, record, buf, pos, end),
  };
  const pathOf = (sessionId: string) => join(dir, eventsFileName(sessionId));
  return {
    open: (sessionId) => new DiskWriter(pathOf(sessionId), opts.flushIntervalMs, lines, place, chunks),
    read: (sessionId) => readEvents(pathOf(sessionId), sessionId, decoders),
    async file(name) {
      const path = join(dir, sideFileName(name));
      if (!existsSync(path)) throw new WardenError('not_found', `no recording file "${name}"`);
      return createReadStream(path);
    },
  };
}

/** The file of a session's events, `<sessionId>.jsonl`. */
export function eventsFileName(sessionId: string): string {
  // Session ids are ours (`ses_…`), but the API passes user input here: never let it name another path.
  if (!/^[A-Za-z0-9_-]+$/.test(sessionId)) throw new WardenError('not_found', `no recording for session "${sessionId}"`);
  return `${sessionId}.jsonl`;
}

/** The asciicast of a session's `shell`-th interactive shell (from 1): `<sessionId>.cast`, then `<sessionId>-2.cast`, … */
export function castFileName(sessionId: string, shell: number): string {
  return shell === 1 ? `${sessionId}.cast` : `${sessionId}-${shell}.cast`;
}

/**
 * A file written beside a session's events (an SSH shell's asciicast: castFileName), checked
 * before it names a path: the name may come from an API caller.
 */
export function sideFileName(name: string): string {
  if (!/^[A-Za-z0-9_-]+\.cast$/.test(name)) throw new WardenError('not_found', `no recording file "${name}"`);
  return name;
}

/** The first buffer of a flush interval is small (an idle or quiet session holds little); the next ones are larger. */
const firstChunkBytes = 4096;
export const chunkBytes = 65536;
/**
 * At most this many 64 KiB buffers (16 MiB) wait for reuse; a heavier second allocates the rest as
 * before. Under sysbench point selects through one gateway (~25,000 lines a second) the pool held
 * up to ~190 buffers between writes: with 128 kept, a quarter of the buffers taken were allocated
 * fresh (and as many dropped), and mark-compacts came back (7 against 3 in the same two rounds).
 * Only buffers a load needed are kept, so this raises no peak, only what stays allocated after one.
 */
const pooledChunks = 256;

/**
 * Writes one item whole into `buf` from `pos`, before `end`: returns where it ends, or -1 when it
 * does not fit (the bytes from `pos` are then garbage, and it is written again elsewhere).
 */
type Place<T> = (item: T, buf: Buffer, pos: number, end: number) => number;

/** How a storage's writers place a statement's line and a packed record (their writers shared by all). */
interface Placers {
  statement: Place<StatementEvent>;
  packed: Place<PackedRecord>;
}

class DiskWriter implements RecordingWriter {
  readonly #path: string;
  #file: Promise<FileHandle> | undefined;
  /**
   * Lines waiting for the flush, as UTF-8 in buffers outside the JS heap: kept as strings for up
   * to a second under load, they were copied by every young-generation GC and then promoted,
   * which cost the gateway more per statement than writing them here.
   */
  #full: Buffer[] = [];
  /** The whole buffers behind `#full` and `#current`, handed back to the pool once written. */
  #taken: Buffer[] = [];
  #current: Buffer | undefined;
  #used = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #intervalMs: number;
  /** Writes each event's line (shared by the storage's writers). */
  readonly #lines: EventLines;
  readonly #place: Placers;
  readonly #chunks: ChunkPool;

  constructor(path: string, intervalMs: number, lines: EventLines, place: Placers, chunks: ChunkPool) {
    this.#path = path;
    this.#intervalMs = intervalMs;
    this.#lines = lines;
    this.#place = place;
    this.#chunks = chunks;
  }

  append(event: RecordingEvent): void {
    if (this.#closed) return;
    if (event.type === 'statement') this.#putStatement(event);
    else this.#put(this.#lines.line(event));
    this.#flushSoon();
  }

  /** Adds a packed record (its frame: packed.ts) to the pending buffers, written straight into them (`#inPlace`). */
  appendPacked(record: PackedRecord): void {
    if (this.#closed) return;
    this.#used = this.#inPlace(record, this.#place.packed, 0);
    this.#flushSoon();
  }

  /** Makes sure a flush is due within the interval. */
  #flushSoon(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs);
  }

  /** Adds a statement's line (json-line.ts's `write`) and its newline to the pending buffers (`#inPlace`). */
  #putStatement(event: StatementEvent): void {
    // One byte short of the end: the newline's room.
    const end = this.#inPlace(event, this.#place.statement, 1);
    this.#current![end] = 0x0a;
    this.#used = end + 1;
  }

  /**
   * Writes `item` with `place` straight into the current buffer, leaving `spare` bytes at its end;
   * where it does not fit, into a fresh one, and something larger than that into buffers of its
   * own, twice as large each time, until it fits. Returns where it ends in `#current`.
   */
  #inPlace<T>(item: T, place: Place<T>, spare: number): number {
    let buf = this.#current;
    let end = buf === undefined ? -1 : place(item, buf, this.#used, buf.length - spare);
    for (let most = 0; end < 0; most = Math.max(this.#chunks.size, 2 * buf!.length)) {
      buf = this.#fresh(most);
      end = place(item, buf, 0, buf.length - spare);
    }
    return end;
  }

  /** Adds one line (and its newline) to the pending buffers. */
  #put(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: enough room without measuring the line.
    const most = line.length * 3 + 1;
    let buf = this.#current;
    if (buf === undefined || buf.length - this.#used < most) buf = this.#fresh(most);
    this.#used += buf.write(line, this.#used);
    buf[this.#used++] = 0x0a;
  }

  /** Ends the current buffer (its lines wait in `#full`) and starts one of at least `most` bytes. */
  #fresh(most: number): Buffer {
    const buf = this.#current;
    if (buf !== undefined && this.#used > 0) this.#full.push(buf.subarray(0, this.#used));
    const size = Math.max(buf === undefined && this.#full.length === 0 ? firstChunkBytes : this.#chunks.size, most);
    const fresh = (this.#current = size === this.#chunks.size ? this.#chunks.take() : Buffer.allocUnsafe(size));
    this.#taken.push(fresh);
    this.#used = 0;
    return fresh;
  }

  /** Chains one write of everything pending; writes never overlap, so lines stay in order. */
  #flush(): Promise<void> {
    if (this.#current !== undefined && this.#used > 0) this.#full.push(this.#current.subarray(0, this.#used));
    this.#current = undefined;
    this.#used = 0;
    if (this.#full.length === 0) return this.#writing;
    const pieces = this.#full;
    const taken = this.#taken;
    this.#full = [];
    this.#taken = [];
    this.#file ??= open(this.#path, 'a', 0o600);
    const file = this.#file;
    this.#writing = this.#writing
      .then(async () => writeAll(await file, pieces))
      .catch((err: unknown) => {
        // A recording that cannot be written must be loud, but it must not crash the gateway.
        process.emitWarning(`warden: cannot write recording ${this.#path}: ${(err as Error).message}`);
      })
      // Written or failed, nothing reads these buffers any more (never earlier: the write reads them).
      .then(() => this.#chunks.give(taken));
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

/** Writes `pieces` in order at the end of the file (opened for appending): one writev, continued after a short write. */
async function writeAll(file: FileHandle, pieces: Buffer[]): Promise<void> {
  let rest = pieces;
  while (rest.length > 0) {
    let { bytesWritten } = await file.writev(rest);
    if (bytesWritten <= 0) throw new Error('the file took no bytes');
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.length) bytesWritten -= rest[i++]!.length;
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

async function* readEvents(path: string, sessionId: string, decoders: PackedDecoders): AsyncIterable<RecordingEvent> {
  if (!existsSync(path)) throw new WardenError('not_found', `no recording for session "${sessionId}"`);
  yield* recordedEvents(createReadStream(path), decoders);
}
