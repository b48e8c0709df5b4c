/**
 * Client messages the gateway reads (Query, Parse, Bind, Execute, Close) and
 * the few it writes to a target on its own. Each parser takes the whole
 * message (`buf[start..end)`, type byte included).
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARSE
 */
import { cstring, message, readCString } from './message.ts';

export function parseQuery(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start + 5, end - 1);
}

export interface ParseMessage {
  name: string;
  text: string;
}

export function parseParse(buf: Buffer, start: number, end: number): ParseMessage {
  const [name, off] = readCString(buf, start + 5, end);
  const [text] = readCString(buf, off, end);
  return { name, text };
}

export interface BindMessage {
  portal: string;
  statement: string;
  /** Parameters as text; binary ones as `\x…` hex; long ones cut for the recording. */
  params: (string | null)[];
  /** Result-column format codes: none = all text, one = all columns, else one per column. */
  resultFormats: number[];
}

const maxRecordedParam = 4096;

export function parseBind(buf: Buffer, start: number, end: number): BindMessage {
  const [portal, a] = readCString(buf, start + 5, end);
  const [statement, b] = readCString(buf, a, end);
  let off = b;
  const formatCount = buf.readInt16BE(off);
  off += 2;
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++, off += 2) formats.push(buf.readInt16BE(off));
  const paramCount = buf.readInt16BE(off);
  off += 2;
  const params: (string | null)[] = [];
  for (let i = 0; i < paramCount; i++) {
    const len = buf.readInt32BE(off);
    off += 4;
    if (len < 0) {
      params.push(null);
      continue;
    }
    const binary = (formatCount === 1 ? formats[0] : formats[i]) === 1;
    const shown = Math.min(len, maxRecordedParam);
    const text = binary ? '\\x' + buf.toString('hex', off, off + shown) : buf.toString('utf8', off, off + shown);
    params.push(shown < len ? `${text}…(${len} bytes)` : text);
    off += len;
  }
  const resultCount = buf.readInt16BE(off);
  off += 2;
  const resultFormats: number[] = [];
  for (let i = 0; i < resultCount; i++, off += 2) resultFormats.push(buf.readInt16BE(off));
  return { portal, statement, params, resultFormats };
}

/** Describe: 'S' a prepared statement or 'P' a portal, and its name. */
export function parseDescribe(buf: Buffer, start: number, end: number): { kind: 'S' | 'P'; name: string } {
  return { kind: buf[start + 5] === 0x53 ? 'S' : 'P', name: readCString(buf, start + 6, end)[0] };
}

/** The portal an Execute runs. */
export function parseExecute(buf: Buffer, start: number, end: number): string {
  return readCString(buf, start + 5, end)[0];
}

/** Close: 'S' statement or 'P' portal, and its name. */
export function parseClose(buf: Buffer, start: number, end: number): { kind: 'S' | 'P'; name: string } {
  return { kind: buf[start + 5] === 0x53 ? 'S' : 'P', name: readCString(buf, start + 6, end)[0] };
}

export const queryMessage = (text: string) => message('Q', cstring(text));

/** A Parse with no parameter types. */
export const parseMessage = (name: string, text: string) =>
  message('P', Buffer.concat([cstring(name), cstring(text), Buffer.from([0, 0])]));

export const terminateMessage = () => message('X');
