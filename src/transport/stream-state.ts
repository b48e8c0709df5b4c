import type { Readable, Writable } from 'node:stream';

/**
 * What the relays' fast paths need to know of a stream's state, read from Node's own state objects
 * (`_readableState`, `_writableState`: internals, read once each, because the public getters are a
 * call apiece on the path every session byte takes). The one place that relies on their fields.
 */

/**
 * Whether a chunk pushed now would go straight to the 'data' listeners: flowing, nothing buffered,
 * no decoder, not ended. Then emitting it directly is what Readable would do, without its
 * bookkeeping and read-more tick; otherwise the chunk must go through `push`, which keeps the order.
 */
export function emitsAtOnce(stream: Readable): boolean {
  const s = (stream as unknown as { _readableState: { flowing: boolean | null; length: number; encoding: unknown; ended: boolean } })._readableState;
  return s.flowing === true && s.length === 0 && s.encoding === null && !s.ended;
}

/** Whether nothing is queued or being written, and the stream is neither corked, ending nor destroyed. */
export function writesIdle(stream: Writable): boolean {
  const w = (stream as unknown as { _writableState: { length: number; corked: number; ending: boolean; destroyed: boolean } })._writableState;
  return w.length === 0 && w.corked === 0 && !w.ending && !w.destroyed;
}
