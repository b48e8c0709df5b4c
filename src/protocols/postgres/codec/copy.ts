/**
 * COPY TO STDOUT lines in text and CSV format: a streaming reader that turns
 * CopyData payloads into rows of values (a row may span CopyData messages;
 * an incomplete one is held until the rest arrives, so memory stays one row),
 * and a writer for the values masking changed. Unchanged rows are given back
 * as the exact text that came in.
 *
 * @see https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2 (text format)
 * @see https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.3 (CSV format)
 */
import type { CopyFormat } from '../../../core/masking/statements.ts';

export type LineFormat = Exclude<CopyFormat, { format: 'binary' }>;

/** One row: its values (decoded; null for the NULL string) and the exact text it came as, terminator included. */
export interface CopyRow {
  values: (string | null)[];
  raw: string;
  /** The line terminator (`\n`, `\r\n`), kept for the rewritten row. */
  eol: string;
}

export class CopyLineReader {
  readonly #format: LineFormat;
  #held = '';
  /** The first bytes of a UTF-8 character the next chunk completes. */
  #partial: Buffer | undefined;

  constructor(format: LineFormat) {
    this.#format = format;
  }

  /** True while part of a row waits for the next CopyData. */
  get holding(): boolean {
    return this.#held.length > 0 || this.#partial !== undefined;
  }

  /** The complete rows that `chunk` finishes; the tail of an unfinished row is held. */
  push(chunk: Buffer): CopyRow[] {
    const bytes = this.#partial === undefined ? chunk : Buffer.concat([this.#partial, chunk]);
    const whole = bytes.length - incompleteTail(bytes);
    this.#partial = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
    const text = this.#held + bytes.toString('utf8', 0, whole);
    const rows: CopyRow[] = [];
    let at = 0;
    for (;;) {
      const row = this.#format.format === 'csv' ? readCsv(text, at, this.#format) : readText(text, at, this.#format);
      if (row === undefined) break;
      rows.push(row.row);
      at = row.next;
    }
    this.#held = text.slice(at);
    return rows;
  }
}

/** How many bytes at the end of `b` start a UTF-8 character that is not complete yet. */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const size = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return size > back ? back : 0;
  }
  return 0;
}

/** A text-format row from `at`, or undefined when its newline has not arrived yet. */
function readText(s: string, at: number, f: Extract<LineFormat, { format: 'text' }>): { row: CopyRow; next: number } | undefined {
  const nl = s.indexOf('\n', at);
  if (nl < 0) return undefined;
  const cr = nl > at && s[nl - 1] === '\r' ? 1 : 0;
  const line = s.slice(at, nl - cr);
  const values: (string | null)[] = [];
  let start = 0;
  // Split on delimiters not escaped by a backslash; values keep their escapes until decoded below.
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      i++;
      continue;
    }
    if (i === line.length || c === f.delimiter) {
      const field = line.slice(start, i);
      values.push(field === f.null ? null : unescapeText(field));
      start = i + 1;
    }
  }
  return { row: { values, raw: s.slice(at, nl + 1), eol: cr ? '\r\n' : '\n' }, next: nl + 1 };
}

const textEscapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A text-format value's backslash escapes decoded (`\t`, `\\`, octal `\123`, hex `\x41`, `\<delimiter>`). */
function unescapeText(v: string): string {
  if (!v.includes('\\')) return v;
  return v.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|([\s\S]))/g, (_m, oct?: string, hex?: string, ch?: string) =>
    oct !== undefined ? String.fromCharCode(parseInt(oct, 8)) : hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (textEscapes[ch!] ?? ch!),
  );
}

/**
 * A CSV row from `at`, or undefined when it is not complete yet (a quoted
 * field may hold newlines, and a quote at the end of the text may be the
 * first of a doubled pair). An unquoted field equal to the NULL string is
 * NULL; a quoted one never is.
 */
function readCsv(s: string, at: number, f: Extract<LineFormat, { format: 'csv' }>): { row: CopyRow; next: number } | undefined {
  const values: (string | null)[] = [];
  let field = '';
  let quotedAny = false;
  let inQuotes = false;
  let i = at;
  const finish = () => {
    values.push(!quotedAny && field === f.null ? null : field);
    field = '';
    quotedAny = false;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (inQuotes) {
      if (c === f.escape && f.escape !== f.quote && i + 1 < s.length && (s[i + 1] === f.quote || s[i + 1] === f.escape)) {
        field += s[i + 1];
        i += 2;
      } else if (c === f.quote) {
        if (i + 1 >= s.length) return undefined; // a doubled quote or the closing one: the next byte decides
        if (f.escape === f.quote && s[i + 1] === f.quote) {
          field += c;
          i += 2;
        } else {
          inQuotes = false;
          i++;
        }
      } else if (c === f.escape && i + 1 >= s.length) return undefined;
      else {
        field += c;
        i++;
      }
    } else if (c === f.quote) {
      inQuotes = true;
      quotedAny = true;
      i++;
    } else if (c === f.delimiter) {
      finish();
      i++;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && i + 1 >= s.length) return undefined; // `\r\n` split across messages
      const eol = c === '\r' && s[i + 1] === '\n' ? '\r\n' : c;
      finish();
      return { row: { values, raw: s.slice(at, i + eol.length), eol }, next: i + eol.length };
    } else {
      field += c;
      i++;
    }
  }
  return undefined;
}

/** One row written back in the COPY's format (values re-encoded; NULL as the NULL string), with the row's own line ending. */
export function writeCopyRow(f: LineFormat, row: CopyRow, masked: readonly (string | null)[]): string {
  const out = masked.map((v) => (v === null ? f.null : f.format === 'csv' ? csvField(f, v) : textField(f, v)));
  return out.join(f.delimiter) + row.eol;
}

function textField(f: Extract<LineFormat, { format: 'text' }>, v: string): string {
  let out = '';
  for (const c of v) {
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === f.delimiter) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** Quoted when it could be read as something else: NULL, a delimiter, a quote, the escape or a line break inside. */
function csvField(f: Extract<LineFormat, { format: 'csv' }>, v: string): string {
  const needs = v === f.null || v.includes(f.delimiter) || v.includes(f.quote) || v.includes(f.escape) || v.includes('\n') || v.includes('\r') || v.startsWith('\\.');
  if (!needs) return v;
  let out = f.quote;
  for (const c of v) out += c === f.quote || c === f.escape ? f.escape + c : c;
  return out + f.quote;
}
