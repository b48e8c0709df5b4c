import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UploadTally } from './upload-tally.ts';

describe('UploadTally', () => {
  it('gives the bytes and SHA-256 of the chunks as one file, however they were split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const t = new UploadTally();
        for (const c of chunks) t.add(c);
        const whole = Buffer.concat(chunks);
        expect(t.result()).toEqual({ bytes: whole.length, sha256: createHash('sha256').update(whole).digest('hex') });
      }),
    );
  });

  it('names the file when given one, and is closed by the first result (a late chunk changes nothing)', () => {
    const t = new UploadTally('rows.csv');
    t.add(Buffer.from('1,a\n'));
    const first = t.result();
    t.add(Buffer.from('2,b\n'));
    expect(t.result()).toBe(first);
    expect(first).toEqual({ bytes: 4, sha256: createHash('sha256').update('1,a\n').digest('hex'), name: 'rows.csv' });
  });
});
