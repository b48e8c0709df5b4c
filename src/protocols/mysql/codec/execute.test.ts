import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExecute } from './execute.ts';
import { ShortPacketError } from './lenenc.ts';

/** A COM_STMT_EXECUTE of statement 7 with one iteration; `params` already encoded (bitmap, bound flag, types, values). */
const exec = (params: number[]) => Buffer.from([0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0, ...params]);

describe('COM_STMT_EXECUTE parameters', () => {
  it('decodes bound values to SQL literals', () => {
    const text = Buffer.from("it's");
    const blob = [0x00, 0xff];
    const p = exec([
      0b0000_0100, // bitmap: third parameter NULL
      1,
      0x08, 0x00, // LONGLONG
      0xfd, 0x00, // VAR_STRING
      0xfd, 0x00, // VAR_STRING (NULL)
      0xfc, 0x00, // BLOB
      0x01, 0x80, // TINY unsigned
      ...[42, 0, 0, 0, 0, 0, 0, 0],
      text.length, ...text,
      blob.length, ...blob,
      200,
    ]);
    expect(parseExecute(p, 5, undefined)).toMatchObject({ id: 7, literals: ['42', "'it''s'", 'NULL', "X'00ff'", '200'] });
  });

  it('reuses the types of an earlier execute when none are sent', () => {
    const first = parseExecute(exec([0, 1, 0x03, 0x00, 5, 0, 0, 0]), 1, undefined);
    expect(parseExecute(exec([0, 0, 9, 0, 0, 0]), 1, first.types).literals).toEqual(['9']);
    expect(() => parseExecute(exec([0, 0, 9, 0, 0, 0]), 1, undefined)).toThrow(ShortPacketError);
  });

  it('decodes dates and escapes backslashes', () => {
    const v = Buffer.from('a\\b');
    expect(parseExecute(exec([0, 1, 0x0a, 0, 0xfe, 0, 4, 0xe8, 0x07, 1, 2, v.length, ...v]), 2, undefined).literals).toEqual(["'2024-01-02'", "'a\\\\b'"]);
  });

  it('throws only ShortPacketError on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 4 }), (bytes, n) => {
        try {
          parseExecute(Buffer.concat([Buffer.from([0x17]), Buffer.from(bytes)]), n, undefined);
        } catch (err) {
          expect(err).toBeInstanceOf(ShortPacketError);
        }
      }),
    );
  });
});
