import { lenenc, readLenencBytes } from './lenenc.ts';

/**
 * Text-protocol result rows as cells, and rows rebuilt after masking: each
 * value a length-encoded string, NULL the single byte 0xFB. Pure.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_row.html
 */

/** The raw cells of a text row (slices of `p`; null for NULL). */
export function textRowCells(p: Buffer): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  let off = 0;
  while (off < p.length) {
    const r = readLenencBytes(p, off);
    out.push(r.value);
    off = r.next;
  }
  return out;
}

/**
 * A text row payload from cells and replacement values: `changed[i]`
 * undefined keeps cell i's original bytes, a string replaces it (UTF-8),
 * null makes it NULL. Lengths are recomputed, so the packet stays valid.
 */
export function buildTextRow(cells: readonly (Buffer | null)[], changed: readonly (string | null | undefined)[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = changed[i];
    const bytes = c === undefined ? cells[i]! : c === null ? null : Buffer.from(c, 'utf8');
    if (bytes === null) parts.push(nullCell);
    else parts.push(lenenc(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

const nullCell = Buffer.from([0xfb]);
