import type { Verdict } from '../policy/types.ts';
import { BoundedBytes } from './bounded-bytes.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';
import { recordedVerdict, type RecordedVerdict } from './verdict.ts';

/**
 * Packed records: a protocol's compact binary form of what it records most
 * (a relayed statement and its rows), written between the JSON lines of the
 * same recording file and turned back into events when the recording is read.
 *
 * Why: a gateway's event loop is shared by every session, so each µs of CPU
 * per statement is taken from throughput (docs/performance.md, session 16).
 * Writing a statement's JSON line and decoding its rows to strings cost more
 * per statement than everything else the relay does; copying the forwarded
 * row packets as they are costs a fraction of that. The decoding is moved to
 * where recordings are read: rarely, and off the relay's path.
 *
 * A frame: `packedMark` (a byte no JSON line starts with), the codec (u8: who
 * decodes it, `packedCodecs`), the body's length (u32 LE), the body. What a body
 * holds is the codec's own business; a codec may refer to earlier records of
 * the same recording (definitions written once), so its decoder is stateful
 * and made fresh for every read.
 */
export const packedMark = 0x1e;
export const packedHeaderBytes = 6;

/** Codec numbers, one per protocol that packs records: a number is never reused for another meaning. */
export const packedCodecs = { mysql: 1, postgres: 2 } as const;

/** Turns one recording's packed bodies (of one codec) back into events, in order. */
export interface PackedDecoder {
  /** The event `body` stands for; undefined for a record that only defines what later ones refer to. Throws on a body it cannot read. */
  decode(body: Buffer): RecordingEvent | undefined;
}

/**
 * The decoders a gateway can read packed records with, by codec number. A
 * protocol's decoder is loaded when a recording first needs it, so reading
 * costs nothing for protocols a gateway does not run.
 */
export class PackedDecoders {
  readonly #loaders = new Map<number, () => Promise<() => PackedDecoder>>();

  register(codec: number, load: () => Promise<() => PackedDecoder>): this {
    this.#loaders.set(codec, load);
    return this;
  }

  /** A fresh decoder for one read of `codec`'s records; undefined when none is registered. */
  async open(codec: number): Promise<PackedDecoder | undefined> {
    const load = this.#loaders.get(codec);
    return load === undefined ? undefined : (await load())();
  }
}

/**
 * A record a protocol hands to RecordingWriter.appendPacked: its codec, and how to write its
 * body. The writer calls `write` with `out` placed in its pending buffer, and again in a larger
 * buffer when the body did not fit (so `write` must write the same bytes every time).
 */
export interface PackedRecord {
  readonly codec: number;
  write(out: PackedOut): void;
}

/**
 * Where a packed body's bytes go: unsigned varints (LEB128), doubles, bytes and strings, written
 * in place as BoundedBytes says (a body that does not fit is written again in a larger buffer).
 * In place because a record copied into the pending buffer from a scratch buffer of its own cost
 * a ranged copy and a view per part, more than writing its few fields twice.
 */
export class PackedOut extends BoundedBytes {
  u8(n: number): void {
    if (this.room(1)) this.buf[this.pos++] = n;
  }

  /** A non-negative integer up to 2^53. */
  varint(n: number): void {
    if (!this.room(n < 0x80 ? 1 : 8)) return;
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  f64(n: number): void {
    if (this.room(8)) this.pos = this.buf.writeDoubleLE(n, this.pos);
  }

  /** All of `src`, length first (varint): one `set`, the cheapest copy there is of a whole buffer. */
  sized(src: Uint8Array): void {
    const n = src.length;
    this.varint(n);
    if (!this.room(n)) return;
    this.buf.set(src, this.pos);
    this.pos += n;
  }

  /** A string as UTF-8, length first (varint). */
  string(s: string): void {
    const length = s.length;
    // Short ASCII is copied here, as LineBytes.string does (an encoder call costs ~50 ns whatever the length).
    if (length < shortString && this.room(length + 1)) {
      const { buf, pos } = this;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos + 1 + i] = c;
      }
      if (i === length) {
        buf[pos] = length;
        this.pos = pos + 1 + length;
        return;
      }
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    if (this.room(n)) this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
}

/** Strings shorter than this (and a varint of one byte) are copied character by character when ASCII. */
const shortString = 24;

/**
 * The kinds of record a protocol's packed statements are made of (the body's first byte): the
 * statement itself, and the definitions it refers to by id instead of repeating them — a string
 * (a prepared text, a command tag, a name), a verdict (its recorded form as JSON), a result's
 * columns (JSON, in the protocol's own shape), mask counts (JSON). A protocol may add kinds from 16.
 */
export const packedKinds = { statement: 1, string: 2, verdict: 3, columns: 4, maskCounts: 5 } as const;

/**
 * Writes definitions: each once per recording, as a record of its own (kind, id as a varint,
 * content as a string), the first time a statement names it. Keys are remembered by identity
 * (verdicts and columns, which the relays share while they repeat) or value (strings), per kind,
 * up to `maxRemembered` each; then that kind starts over and definitions are written again with
 * new ids, so a session's memory stays bounded whatever it runs. Ids are never reused.
 */
export class PackedDefinitions {
  readonly #codec: number;
  readonly #write: (record: PackedRecord) => void;
  readonly #known = new Map<number, Map<unknown, number>>();
  #nextId = 0;

  constructor(codec: number, write: (record: PackedRecord) => void) {
    this.#codec = codec;
    this.#write = write;
  }

  string(s: string): number {
    return this.#id(packedKinds.string, s, () => s);
  }

  verdict(v: Verdict): number {
    return this.#id(packedKinds.verdict, v, () => JSON.stringify(recordedVerdict(v)));
  }

  /** `key`'s columns, written as the JSON of `content()`. */
  columns(key: object, content: () => unknown): number {
    return this.#id(packedKinds.columns, key, () => JSON.stringify(content()));
  }

  /** A statement's mask counts (maskers hand out the same frozen counts while they repeat). */
  maskCounts(counts: MaskCounts): number {
    return this.#id(packedKinds.maskCounts, counts, () => JSON.stringify(counts));
  }

  #id(kind: number, key: unknown, content: () => string): number {
    let known = this.#known.get(kind);
    if (known === undefined) this.#known.set(kind, (known = new Map()));
    const id = known.get(key);
    if (id !== undefined) return id;
    if (known.size >= maxRemembered) known.clear();
    const fresh = this.#nextId++;
    known.set(key, fresh);
    this.#write(new Definition(this.#codec, kind, fresh, content()));
    return fresh;
  }
}

/** Definitions remembered per kind before starting over. */
const maxRemembered = 4096;

/** A definition record: its kind (u8), id (varint) and content (string). */
class Definition implements PackedRecord {
  constructor(
    readonly codec: number,
    readonly kind: number,
    readonly id: number,
    readonly content: string,
  ) {}

  write(out: PackedOut): void {
    out.u8(this.kind);
    out.varint(this.id);
    out.string(this.content);
  }
}

/** The definitions a decoder has read, by id. */
export class DefinitionsRead<T> {
  readonly #byId = new Map<number, T>();

  set(id: number, value: T): void {
    this.#byId.set(id, value);
  }

  /** The definition `id`; throws when the recording did not hold it. */
  get(id: number): T {
    const v = this.#byId.get(id);
    if (v === undefined) throw new Error(`refers to definition ${id}, which the recording does not hold`);
    return v;
  }
}

/** What a statement record's reader may refer to: the definitions read so far. */
export interface StatementDefinitions<C> {
  strings: DefinitionsRead<string>;
  verdicts: DefinitionsRead<RecordedVerdict>;
  columns: DefinitionsRead<C>;
  maskCounts: DefinitionsRead<MaskCounts>;
}

type MaskCounts = NonNullable<StatementEvent['masked']>;

/**
 * A decoder of records of `packedKinds`: definitions are kept, a statement record is read by
 * `statement` (after its kind byte) with them. `protocol` names the records in errors.
 */
export function statementDecoder<C>(protocol: string, statement: (r: PackedReader, defs: StatementDefinitions<C>) => RecordingEvent): PackedDecoder {
  const defs: StatementDefinitions<C> = { strings: new DefinitionsRead(), verdicts: new DefinitionsRead(), columns: new DefinitionsRead(), maskCounts: new DefinitionsRead() };
  return {
    decode(body) {
      const r = new PackedReader(body);
      const kind = r.u8();
      if (kind === packedKinds.statement) return statement(r, defs);
      if (kind === packedKinds.string) defs.strings.set(r.varint(), r.string());
      else if (kind === packedKinds.verdict) defs.verdicts.set(r.varint(), JSON.parse(r.string()) as RecordedVerdict);
      else if (kind === packedKinds.columns) defs.columns.set(r.varint(), JSON.parse(r.string()) as C);
      else if (kind === packedKinds.maskCounts) defs.maskCounts.set(r.varint(), JSON.parse(r.string()) as MaskCounts);
      else throw new Error(`unknown ${protocol} record kind ${kind}`);
      return undefined;
    },
  };
}

/** A record's body on its own (for writers without a pending buffer, and tests). */
export function packedBody(record: PackedRecord): Buffer {
  const out = new PackedOut();
  for (let size = 256; ; size *= 2) {
    out.start(Buffer.allocUnsafe(size), 0, size);
    record.write(out);
    if (out.fits) return out.buf.subarray(0, out.pos);
  }
}

/** Reads what PackedOut wrote, in the same order; throws RangeError past the end. */
export class PackedReader {
  readonly #buf: Buffer;
  pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.pos >= this.#buf.length;
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.pos++]!;
  }

  varint(): number {
    let n = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = this.u8();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      if (scale > 2 ** 49) throw new RangeError('packed record: varint too long');
    }
  }

  f64(): number {
    this.#need(8);
    const n = this.#buf.readDoubleLE(this.pos);
    this.pos += 8;
    return n;
  }

  /** Bytes written by `sized` (a view into the body). */
  sized(): Buffer {
    const n = this.varint();
    this.#need(n);
    this.pos += n;
    return this.#buf.subarray(this.pos - n, this.pos);
  }

  string(): string {
    return this.sized().toString('utf8');
  }

  #need(n: number): void {
    if (this.pos + n > this.#buf.length) throw new RangeError('packed record: ends early');
  }
}
