import { packedHeaderBytes, packedMark, type PackedDecoder, type PackedDecoders } from './packed.ts';
import type { RecordingEvent } from './types.ts';

/**
 * The events of a recording file, read from `input` (a file, or shipped segments one after
 * another, cut anywhere): JSON lines, and packed records (packed.ts) decoded by `decoders`.
 *
 * Failure semantics: a torn end after a crash (a line that does not parse, a record cut short)
 * ends the events there, since everything before it is still the recording. A packed record
 * that cannot be read (no decoder for its codec, a body its decoder refuses) becomes a notice
 * naming what was skipped, and reading goes on: the frame says where the next record starts.
 */
export async function* recordedEvents(input: AsyncIterable<Buffer | string>, decoders: PackedDecoders): AsyncIterable<RecordingEvent> {
  const open = new Map<number, PackedDecoder | undefined>();
  let pending = Buffer.alloc(0);
  /**
   * Bytes the next frame needs in `pending` before it can be read, or -1: a newline (a line's end).
   * Chunks are collected until then, so a long line or record is joined once, not once per chunk.
   */
  let needed = 1;
  const more: Buffer[] = [];
  let collected = 0;
  let lastAt = '';
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    more.push(bytes);
    collected += bytes.length;
    if (needed < 0 ? bytes.indexOf(0x0a) < 0 : pending.length + collected < needed) continue;
    pending = Buffer.concat([pending, ...more.splice(0)]);
    collected = 0;
    let pos = 0;
    for (;;) {
      const frame = nextFrame(pending, pos);
      if (frame.kind === 'incomplete') {
        needed = frame.needed < 0 ? -1 : frame.needed - pos;
        break;
      }
      pos = frame.next;
      let event: RecordingEvent | undefined;
      if (frame.kind === 'line') {
        if (frame.text.trim() === '') continue;
        try {
          event = JSON.parse(frame.text) as RecordingEvent;
        } catch {
          // A torn last line after a crash: everything before it is still the recording.
          return;
        }
      } else {
        if (!open.has(frame.codec)) open.set(frame.codec, await decoders.open(frame.codec));
        event = decodeOrNotice(open.get(frame.codec), frame.codec, frame.body, lastAt);
      }
      if (event === undefined) continue;
      if ('at' in event && typeof event.at === 'string') lastAt = event.at;
      yield event;
    }
    pending = pending.subarray(pos);
  }
  // A last line without its newline (readline gave it too); a record cut short is a torn end.
  const rest = Buffer.concat([pending, ...more]).toString('utf8');
  if (rest.length > 0 && rest.charCodeAt(0) !== packedMark && rest.trim() !== '') {
    try {
      yield JSON.parse(rest) as RecordingEvent;
    } catch {
      // Torn: see above.
    }
  }
}

type Frame = { kind: 'line'; text: string; next: number } | { kind: 'packed'; codec: number; body: Buffer; next: number } | { kind: 'incomplete'; needed: number };

/** The frame at `pos` of `buf`: a line up to its newline, a whole packed record, or how many bytes (from 0) it needs (-1: a newline). */
function nextFrame(buf: Buffer, pos: number): Frame {
  if (pos >= buf.length) return { kind: 'incomplete', needed: pos + 1 };
  if (buf[pos] === packedMark) {
    if (buf.length - pos < packedHeaderBytes) return { kind: 'incomplete', needed: pos + packedHeaderBytes };
    const end = pos + packedHeaderBytes + buf.readUInt32LE(pos + 2);
    if (end > buf.length) return { kind: 'incomplete', needed: end };
    return { kind: 'packed', codec: buf[pos + 1]!, body: buf.subarray(pos + packedHeaderBytes, end), next: end };
  }
  const nl = buf.indexOf(0x0a, pos);
  if (nl < 0) return { kind: 'incomplete', needed: -1 };
  return { kind: 'line', text: buf.toString('utf8', pos, nl), next: nl + 1 };
}

/** A packed record's event, or the notice that stands for a record that cannot be read. */
function decodeOrNotice(decoder: PackedDecoder | undefined, codec: number, body: Buffer, at: string): RecordingEvent | undefined {
  if (decoder === undefined) return { type: 'notice', at, message: `a packed record of codec ${codec} (${body.length} bytes) was skipped: this gateway has no decoder for it` };
  try {
    return decoder.decode(body);
  } catch (err) {
    return { type: 'notice', at, message: `a packed record of codec ${codec} (${body.length} bytes) was skipped: ${(err as Error).message}` };
  }
}
