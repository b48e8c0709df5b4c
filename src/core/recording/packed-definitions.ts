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
