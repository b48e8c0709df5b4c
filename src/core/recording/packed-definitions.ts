import type { Verdict } from '../policy/types.ts';
import type { PackedDecoder, PackedRecord } from './packed.ts';
import { PackedReader, type PackedOut } from './packed-bytes.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';
import { statementKeys } from './json-line.ts';
import { recordedVerdict, type RecordedVerdict } from './verdict.ts';

/**
 * The kinds of record a protocol's packed statements (packed.ts) are made of, the body's first
 * byte: the statement itself, and the definitions it refers to by id instead of repeating them —
 * a string (a prepared text, a command tag, a name), a verdict (its recorded form as JSON), a
 * result's columns (JSON, in the protocol's own shape), mask counts (JSON). A protocol may add
 * kinds from 16. Definitions are written and read here, so a protocol only says how its
 * statement's own fields go.
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
  /** Per kind (indexed by its number): what was given an id. */
  readonly #known: Map<unknown, number>[] = Array.from({ length: kindSlots }, () => new Map());
  /** Per kind, the last `recent` keys asked about and their ids (slots `kind * recent` on), and the slot to fill next. */
  readonly #recentKeys: unknown[] = Array.from({ length: kindSlots * recent }, () => noKey);
  readonly #recentIds: number[] = Array.from({ length: kindSlots * recent }, () => -1);
  readonly #nextSlot: number[] = Array.from({ length: kindSlots }, () => 0);
  #nextId = 0;

  constructor(codec: number, write: (record: PackedRecord) => void) {
    this.#codec = codec;
    this.#write = write;
  }

  string(s: string): number {
    return this.#find(packedKinds.string, s) ?? this.#define(packedKinds.string, s, s);
  }

  verdict(v: Verdict): number {
    return this.#find(packedKinds.verdict, v) ?? this.#define(packedKinds.verdict, v, JSON.stringify(recordedVerdict(v)));
  }

  /** `key`'s columns, written as the JSON of `shape(key)`. */
  columns<K extends object>(key: K, shape: (key: K) => unknown): number {
    return this.#find(packedKinds.columns, key) ?? this.#define(packedKinds.columns, key, JSON.stringify(shape(key)));
  }

  /** A statement's mask counts (maskers hand out the same frozen counts while they repeat). */
  maskCounts(counts: MaskCounts): number {
    return this.#find(packedKinds.maskCounts, counts) ?? this.#define(packedKinds.maskCounts, counts, JSON.stringify(counts));
  }

  /**
   * The id `key` of `kind` has, or undefined when it has none yet. The relays hand out the same
   * verdict, columns and tag objects while a statement repeats: those are found among the kind's
   * last few keys by identity, before any Map lookup (a prepared statement's text, name and tag are
   * three strings asked in turn, hence a few). A definition's content is made only on a miss, by
   * the caller, so no closure is made per call.
   */
  #find(kind: number, key: unknown): number | undefined {
    const keys = this.#recentKeys;
    const first = kind * recent;
    for (let i = first; i < first + recent; i++) if (keys[i] === key) return this.#recentIds[i]!;
    const id = this.#known[kind]!.get(key);
    if (id !== undefined) this.#remember(kind, key, id);
    return id;
  }

  /** Gives `key` of `kind` a new id and writes its definition (`content`). */
  #define(kind: number, key: unknown, content: string): number {
    const known = this.#known[kind]!;
    // The recent slots may keep keys from before a clear: their definitions are in the recording, and ids are never reused.
    if (known.size >= maxRemembered) known.clear();
    const id = this.#nextId++;
    known.set(key, id);
    this.#write(new Definition(this.#codec, kind, id, content));
    this.#remember(kind, key, id);
    return id;
  }

  /** Puts `key` and its id in the kind's next recent slot. */
  #remember(kind: number, key: unknown, id: number): void {
    const slot = kind * recent + this.#nextSlot[kind]!;
    this.#nextSlot[kind] = (this.#nextSlot[kind]! + 1) % recent;
    this.#recentKeys[slot] = key;
    this.#recentIds[slot] = id;
  }
}

/** Room for every kind number up to the largest that is a definition (per-kind state is indexed by it). */
const kindSlots = Math.max(packedKinds.string, packedKinds.verdict, packedKinds.columns, packedKinds.maskCounts) + 1;
/** Keys remembered per kind for the identity check before the Map (`#find`). */
const recent = 4;
/** An empty recent slot: matches no key. */
const noKey = Symbol('none');

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

/**
 * A statement read from a packed record: `fields` with the keys in the order its JSON line has
 * them (json-line.ts' `statementKeys`) and the undefined ones left out, so a packed record and a
 * line read back alike, whichever protocol wrote it.
 */
export function packedStatement(fields: Omit<StatementEvent, 'type'>): StatementEvent {
  const out: Record<string, unknown> = {};
  for (const k of statementKeys) {
    const v = k === 'type' ? 'statement' : fields[k];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as StatementEvent;
}
