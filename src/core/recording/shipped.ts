import { existsSync } from 'node:fs';
import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { WardenError } from '../errors.ts';
import { castFileName, createDiskRecordings, eventsFileName, sideFileName } from './disk.ts';
import type { ObjectStore } from './object-store.ts';
import { PackedDecoders } from './packed.ts';
import { recordedEvents } from './recorded-events.ts';
import type { RecordingEvent, RecordingStorage, RecordingWriter } from './types.ts';

export interface ShippedRecordings extends RecordingStorage {
  /**
   * Checks the bucket (a missing one is a configuration error: thrown) and starts shipping,
   * beginning with what an earlier run of this gateway left unshipped.
   */
  start(): Promise<void>;
  /** Ships everything still local (sessions have ended by now) and stops; never throws. */
  stop(): Promise<void>;
}

/** The most one segment holds (a shipment of more is split). */
const maxSegmentBytes = 32 * 1024 * 1024;

/** How long closing a recording waits for its events to reach the bucket before leaving them to the retries. */
const closeShipMs = 5000;

/** `p`, or a rejection once `ms` have passed (p itself goes on). */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export interface ShippedOptions {
  /** The local spool: recordings are written here first, exactly as disk.ts writes them. */
  dir: string;
  flushIntervalMs: number;
  store: ObjectStore;
  /** Prepended to every object key (e.g. `recordings/`). */
  prefix: string;
  /** How often the files of live sessions are shipped: at most this much of a dead host's recording is lost. */
  shipIntervalMs: number;
  log: Logger;
  /** Told of each segment shipped and each shipment that failed (metrics). */
  counts?: { shipped(bytes: number): void; failed(): void };
  /** Read packed records (packed.ts); none by default. */
  decoders?: PackedDecoders;
}

/**
 * Recordings on S3-compatible object storage, for several gateway replicas:
 * any replica reads any session, and a replica's host can die without taking
 * its recordings along.
 *
 * Objects are immutable and a recording grows while its session runs, so
 * each file is shipped as numbered segments, `<prefix><file>/<00000001…>`,
 * each holding the bytes written since the last: reading a file is listing
 * its segments and reading them in order (a segment may end mid-line; the
 * next one continues it). Writing goes to the local spool first (disk.ts:
 * a statement never waits for the network), and every `shipIntervalMs` the
 * new bytes of live sessions' files go up. When a session's recording is
 * closed, the rest of its events are shipped before the close returns (so
 * before the session's end is stored), and its other files one interval
 * later (a shell's asciicast may still be closing); then all of them are
 * deleted from the spool. What cannot be shipped stays and is tried again
 * every interval, and at the next start. A failed upload is retried under the
 * same segment number from the same offset, so a PUT that did land before
 * its answer was lost is overwritten, never duplicated. How many bytes of a file are shipped is the sum of its
 * segments' sizes, read back from the bucket for a file this process did
 * not start (no local state to lose or corrupt).
 *
 * One spool per replica: a spool shared by two replicas would be shipped by both.
 */
export function createShippedRecordings(o: ShippedOptions): ShippedRecordings {
  const local = createDiskRecordings(o.dir, { flushIntervalMs: o.flushIntervalMs });
  const decoders = o.decoders ?? new PackedDecoders();
  const log = o.log;
  /** Bytes and segments shipped so far, per local file name. */
  const shipped = new Map<string, { bytes: number; segments: number }>();
  /** Sessions whose recording is open here: their files ship every interval. */
  const live = new Set<string>();
  /** Sessions whose recording closed (or that an earlier run left): shipped whole, then deleted. */
  const done = new Set<string>();
  /** One ship at a time per file, so segments are numbered in order. */
  const queues = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();
  let failing = false;
  /** What the spool held at start (a crash's leftovers, or every recording of a gateway newly switched to S3), for progress logs. */
  const backlog = new Set<string>();
  let backlogTotal = 0;
  let backlogLogged = 0;

  /** Logs the start-up backlog's progress: every tenth of it (at least every 100 sessions), and its end. */
  function backlogShipped(id: string): void {
    backlog.delete(id);
    const shippedSoFar = backlogTotal - backlog.size;
    if (backlog.size === 0) return log.info({ sessions: backlogTotal, where: o.store.where }, 'the recordings an earlier run left are shipped');
    if (shippedSoFar - backlogLogged >= Math.max(100, backlogTotal / 10)) {
      backlogLogged = shippedSoFar;
      log.info({ shipped: shippedSoFar, of: backlogTotal }, 'shipping recordings an earlier run left');
    }
  }

  const key = (file: string, segment: number) => `${o.prefix}${file}/${String(segment).padStart(8, '0')}`;

  /** Ships the bytes of `file` not shipped yet, as one more segment. */
  function shipFile(file: string): Promise<void> {
    const run = (queues.get(file) ?? Promise.resolve()).then(async () => {
      const path = join(o.dir, file);
      const size = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (size < 0) return;
      let state = shipped.get(file);
      if (state === undefined) {
        // A file this process did not start: how much of it an earlier run shipped is in the bucket.
        const segments = await o.store.list(`${o.prefix}${file}/`);
        state = { bytes: segments.reduce((n, s) => n + s.size, 0), segments: segments.length };
        shipped.set(file, state);
      }
      if (size <= state.bytes) return;
      const fh = await open(path, 'r');
      try {
        // A large backlog (a long shell's asciicast, a spool left by a long outage) goes in bounded pieces.
        while (state.bytes < size) {
          const body = Buffer.allocUnsafe(Math.min(size - state.bytes, maxSegmentBytes));
          const { bytesRead } = await fh.read(body, 0, body.length, state.bytes);
          if (bytesRead === 0) return;
          await o.store.put(key(file, state.segments + 1), body.subarray(0, bytesRead));
          o.counts?.shipped(bytesRead);
          state.bytes += bytesRead;
          state.segments++;
        }
      } finally {
        await fh.close();
      }
    });
    const settled = run.catch(() => o.counts?.failed());
    queues.set(file, settled);
    void settled.then(() => {
      if (queues.get(file) === settled) queues.delete(file);
    });
    return run;
  }

  /** The local files of a session: its events and its shells' asciicasts (`<id>.cast`, `<id>-2.cast`, …). */
  function filesOf(sessionId: string): string[] {
    const files = [eventsFileName(sessionId)];
    for (let n = 1; ; n++) {
      const cast = castFileName(sessionId, n);
      if (!existsSync(join(o.dir, cast))) return files;
      files.push(cast);
    }
  }

  /** Ships a session's files whole and removes them from the spool; rejects (and removes nothing) when one could not be shipped. */
  async function finish(sessionId: string): Promise<void> {
    const files = filesOf(sessionId);
    for (const file of files) await shipFile(file);
    for (const file of files) {
      await unlink(join(o.dir, file)).catch(() => undefined);
      shipped.delete(file);
    }
  }

  async function shipAll(): Promise<void> {
    let failed = 0;
    let lastError: unknown;
    for (const id of live) {
      for (const file of filesOf(id)) {
        await shipFile(file).catch((err: unknown) => {
          failed++;
          lastError = err;
        });
      }
    }
    for (const id of [...done]) {
      if (live.has(id)) continue;
      try {
        await finish(id);
      } catch (err) {
        failed++;
        lastError = err;
        continue;
      }
      done.delete(id);
      if (backlog.has(id)) backlogShipped(id);
    }
    // Loud once when shipping starts failing and once when it recovers, not every interval.
    if (failed > 0 && !failing) log.error({ err: lastError, where: o.store.where, files: failed }, 'cannot ship recordings to object storage: they stay in the local spool and are tried again');
    if (failed === 0 && failing) log.info({ where: o.store.where }, 'recordings ship to object storage again');
    failing = failed > 0;
  }

  /** Runs one ship of everything after the one under way, if any (never two at once). */
  function shipNow(): Promise<void> {
    tick = tick.then(shipAll, shipAll);
    return tick;
  }

  /** The interval's ship: skipped while the last one still runs (a slow store must not queue up intervals). */
  let shipping = false;
  function onInterval(): void {
    if (shipping) return;
    shipping = true;
    void shipNow().finally(() => (shipping = false));
  }

  async function* readShipped(file: string, missing: string): AsyncIterable<Buffer> {
    const segments = await o.store.list(`${o.prefix}${file}/`);
    if (segments.length === 0) throw new WardenError('not_found', missing);
    for (const s of segments) yield* await o.store.get(s.key);
  }

  /**
   * A local file while it is still in the spool (a live session, or not shipped yet), else its
   * shipped segments. Opened first: once open, the spool may drop the file without cutting the read.
   */
  async function* bytesOf(file: string, missing: string): AsyncIterable<Buffer> {
    const fh = await open(join(o.dir, file), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (fh === undefined) return yield* readShipped(file, missing);
    try {
      yield* fh.createReadStream({ autoClose: false });
    } finally {
      await fh.close();
    }
  }

  /** `bytesOf` as a stream, with a missing file told before the first byte (not_found, not a broken stream). */
  async function readable(file: string, missing: string): Promise<NodeJS.ReadableStream> {
    const it = bytesOf(file, missing)[Symbol.asyncIterator]();
    const first = await it.next();
    return Readable.from(
      (async function* () {
        if (first.done) return;
        yield first.value;
        yield* { [Symbol.asyncIterator]: () => it };
      })(),
    );
  }

  return {
    open(sessionId): RecordingWriter {
      const writer = local.open(sessionId);
      const events = eventsFileName(sessionId);
      // A new session's file: nothing of it can be in the bucket yet (no listing needed).
      shipped.set(events, { bytes: 0, segments: 0 });
      live.add(sessionId);
      let closed: Promise<void> | undefined;
      return {
        append: (event) => writer.append(event),
        appendPacked: (record) => writer.appendPacked(record),
        close: () =>
          (closed ??= (async () => {
            await writer.close();
            // The events go up now, so a session the store shows as ended has its recording in the bucket
            // (bounded: a slow or unreachable store leaves it to the retries). The rest, and the spool's
            // cleanup, at the next interval: a shell's asciicast may still be closing.
            await bounded(shipFile(events), closeShipMs).catch(() => undefined);
            live.delete(sessionId);
            done.add(sessionId);
          })()),
      };
    },
    async *read(sessionId): AsyncIterable<RecordingEvent> {
      yield* recordedEvents(await readable(eventsFileName(sessionId), `no recording for session "${sessionId}"`), decoders);
    },
    file: (name) => readable(sideFileName(name), `no recording file "${name}"`),
    async start() {
      await o.store.check();
      // What an earlier run left: sessions that ended with it (none of them is live in this process).
      const names = await readdir(o.dir).catch(() => [] as string[]);
      for (const name of names) {
        const m = /^([A-Za-z0-9_]+)(?:-\d+)?\.(?:jsonl|cast)$/.exec(name);
        if (m) done.add(m[1]!);
      }
      for (const id of done) backlog.add(id);
      backlogTotal = backlog.size;
      if (backlogTotal > 0) log.info({ sessions: backlogTotal, where: o.store.where }, 'shipping recordings an earlier run left in the local spool');
      timer = setInterval(onInterval, o.shipIntervalMs);
      timer.unref();
      void shipNow();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const id of live) done.add(id);
      live.clear();
      await shipNow().catch(() => undefined);
    },
  };
}
