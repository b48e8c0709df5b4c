import { describe, expect, it } from 'vitest';
import { WardenError } from '../../core/errors.ts';
import { parseErr } from './codec/generic.ts';
import { toErrPacket } from './errors.ts';

describe('WardenError → ERR packet', () => {
  const err = (e: WardenError) => ({ seq: toErrPacket(e, 4)[3], ...parseErr(toErrPacket(e, 4).subarray(4)) });

  it('maps kinds to MySQL codes and SQLSTATEs', () => {
    expect(err(new WardenError('access_denied', 'bad token'))).toEqual({ seq: 4, code: 1045, sqlstate: '28000', message: 'bad token' });
    expect(err(new WardenError('not_found', 'no such connection'))).toMatchObject({ code: 1049, sqlstate: '42000' });
    expect(err(new WardenError('upstream_unavailable', 'down'))).toMatchObject({ code: 1105, sqlstate: 'HY000' });
  });

  it("prefers the error's own MySQL code and ignores other protocols' SQLSTATEs", () => {
    expect(err(new WardenError('bad_request', 'x', { code: '1046' }))).toMatchObject({ code: 1046, sqlstate: '3D000' });
    expect(err(new WardenError('access_denied', 'blocked at connect', { code: '42501' }))).toMatchObject({ code: 1045, sqlstate: '28000' });
  });
});
