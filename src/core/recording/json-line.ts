import { StatementBytes } from './statement-bytes.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';

/**
 * One recorded event as its JSON line (without the newline). Statement events
 * — one per statement the gateways relay — are written field by field straight
 * into a pending buffer as UTF-8 (`write`, statement-bytes.ts): `JSON.stringify`
 * walked each event generically (the keys of every object, a `toJSON` lookup on
 * every object and array), about half the cost of recording a statement, and a
 * line made as a string was then flattened and encoded again by its write.
 * Other events are rare and go through `JSON.stringify`.
 *
 * Contract: the line parses to what `JSON.parse(JSON.stringify(event))` gives
 * (strings escaped as `JSON.stringify` escapes them, lone surrogates included;
 * keys whose value is undefined left out; non-finite numbers as null). Keys
 * come in a fixed order, not the event's. A value of an unexpected type is
 * handed to `JSON.stringify`, so it is recorded as before (but a function or
 * symbol where the type says data is written as null, where JSON.stringify
 * left the key out); the arrays and the error of a statement event are read as
 * plain data (no `toJSON`). Throws what
 * `JSON.stringify` throws (a BigInt, a cycle).
 */
export class EventLines {
  readonly #bytes = new StatementBytes();

  line(event: RecordingEvent): string {
    if (event.type !== 'statement') return JSON.stringify(event);
    // Made through `write` (recordings write statements as bytes; this string is for tests and callers that want one).
    for (let size = 4096; ; size *= 2) {
      const buf = Buffer.allocUnsafe(size);
      const end = this.#bytes.write(event, buf, 0, size);
      if (end >= 0) return buf.toString('utf8', 0, end);
    }
  }

  /**
   * Writes a statement's line (UTF-8 of what `line` returns, no newline) into `buf` from `pos`,
   * before `end`; returns where it ends, or -1 when it does not fit (the bytes from `pos` are
   * then garbage: write it again elsewhere). Throws what `line` throws.
   */
  write(event: StatementEvent, buf: Buffer, pos: number, end: number): number {
    return this.#bytes.write(event, buf, pos, end);
  }
}

/**
 * Every key of StatementEvent, in the order statement-bytes.ts writes them: a
 * key added to the type and not listed here fails to compile (`Unwritten`);
 * the tests hold the written lines to this order (JSON.stringify of the event
 * with its keys in it).
 */
export const statementKeys = ['type', 'at', 'seq', 'text', 'params', 'prepared', 'durationMs', 'commandTag', 'rowsAffected', 'columns', 'rows', 'rowCount', 'rowsTruncated', 'error', 'verdict', 'masked', 'uncertain', 'upload'] as const;
type Unwritten = Exclude<keyof StatementEvent, (typeof statementKeys)[number]>;
const everyKeyWritten: Unwritten extends never ? true : Unwritten = true;
void everyKeyWritten;
