import type { RowMasker } from '../../core/masking/index.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { CopyLineReader, writeCopyRow, type LineFormat } from './codec/copy.ts';
import { copyDataMessage } from './codec/results.ts';
import type { ResultMasking, ResultOf } from './result-masking.ts';

/**
 * COPY TO STDOUT through the StatementTracker (events.ts): each line of the
 * result is a row, recorded as its line and masked like a DataRow's values.
 */

/** A COPY TO STDOUT in progress: how its lines are split, and whether a masker is due at the first row; binary is passed (or, masked, stopped) whole. */
export type CopyOut = { reader: CopyLineReader; format: LineFormat; header: boolean; mask: boolean } | 'binary';

/** The statement whose COPY this is, as the copy reads and updates it. */
export interface CopyingStatement extends ResultOf {
  copy: CopyOut | undefined;
  masker: RowMasker | undefined;
  readonly event: StatementEvent;
}

/**
 * COPY TO STDOUT begins (`binary`: CopyOutResponse's overall format).
 * Text and CSV lines are split into columns with the COPY's own options;
 * the masker is built at the first row, when the column count is known.
 */
export function startCopyOut(head: CopyingStatement, binary: boolean, masking: ResultMasking): void {
  if (binary) {
    head.copy = 'binary';
    return;
  }
  const format = masking.copyFormat(head);
  head.copy = { reader: new CopyLineReader(format), format, header: format.format === 'csv' && format.header, mask: head.verdict?.effect === 'mask' };
}

/**
 * A CopyData of the result (the message between `start` and `end` of `buf`):
 * one recorded row per line, each shown line handed to `keep` (the recording
 * applies its caps). Returns what to send instead when masking changed a row,
 * or when a row is split over CopyData messages (its start is held back and
 * sent whole with its end); undefined sends the message as it is.
 */
export function copyOutData<H extends CopyingStatement>(head: H, buf: Buffer, start: number, end: number, masking: ResultMasking, keep: (head: H, line: string) => void): Buffer | undefined {
  if (head.copy === undefined) return undefined;
  // fail closed: binary COPY under a mask verdict is refused before it runs; should one start anyway, no byte of it passes.
  if (head.copy === 'binary') return head.verdict?.effect === 'mask' ? Buffer.alloc(0) : undefined;
  const copy = head.copy;
  const held = copy.reader.holding;
  const rows = copy.reader.push(buf.subarray(start + 5, end));
  let changed = held || copy.reader.holding;
  const out: string[] = [];
  for (const row of rows) {
    if (copy.header) {
      copy.header = false;
      out.push(row.raw);
      if (copy.mask) head.masker = masking.forCopy(head, row.values.length, row.values.map((v) => v ?? ''));
      copy.mask = false;
      continue;
    }
    if (copy.mask) {
      head.masker = masking.forCopy(head, row.values.length);
      copy.mask = false;
    }
    head.event.rowCount++;
    let shown = row.raw;
    if (head.masker) {
      const masked = head.masker.row(row.values);
      if (masked.some((v, i) => v !== row.values[i])) {
        shown = writeCopyRow(copy.format, row, masked);
        changed = true;
      }
    }
    out.push(shown);
    keep(head, shown.endsWith(row.eol) ? shown.slice(0, shown.length - row.eol.length) : shown);
  }
  if (!changed) return undefined;
  return out.length === 0 ? Buffer.alloc(0) : copyDataMessage(out.join(''));
}
