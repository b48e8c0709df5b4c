import { describe, expect, it } from 'vitest';
import type { StatementEvent } from '../core/recording/types.ts';
import { renderEvent } from './render.ts';

const base: StatementEvent = { type: 'statement', at: '2026-01-05T12:00:00.000Z', seq: 4, text: "LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE t", durationMs: 2, rowCount: 0, rowsTruncated: false };

describe('renderEvent: statements', () => {
  it('shows the data a statement uploaded: the file named, its size and hash', () => {
    const lines = renderEvent({ ...base, rowsAffected: 2, upload: { bytes: 2048, sha256: 'cd'.repeat(32), name: 'rows.csv' } }, 10);
    expect(lines[2]).toBe(`    uploaded rows.csv · 2.0 kB · sha256 ${'cd'.repeat(32)}`);
    const copy = renderEvent({ ...base, text: 'copy t from stdin', upload: { bytes: 10, sha256: 'ef'.repeat(32) }, error: { code: '57014', message: 'COPY from stdin failed: gave up' } }, 10);
    expect(copy.slice(2)).toEqual([`    uploaded 10 B · sha256 ${'ef'.repeat(32)}`, '    ERROR 57014: COPY from stdin failed: gave up']);
  });

  it('shows no upload line for other statements', () => {
    expect(renderEvent({ ...base, text: 'select 1' }, 10).some((l) => l.includes('uploaded'))).toBe(false);
  });
});
