import { describe, expect, it } from 'vitest';
import { createMysqlClassifier } from '../../core/sql/mysql/index.ts';
import { parseKill } from './kill.ts';

const c = createMysqlClassifier();

describe('parseKill', () => {
  it('reads the forms clients send', () => {
    expect(parseKill(c, 'KILL QUERY 12')).toEqual({ ok: true, scope: 'query', id: 12 });
    expect(parseKill(c, 'kill 5')).toEqual({ ok: true, scope: 'connection', id: 5 });
    expect(parseKill(c, 'KILL CONNECTION 7;')).toEqual({ ok: true, scope: 'connection', id: 7 });
    expect(parseKill(c, 'KILL HARD QUERY 9')).toEqual({ ok: true, scope: 'query', id: 9 });
    expect(parseKill(c, '/* ctrl-c */ KILL /*!QUERY*/ 3')).toEqual({ ok: true, scope: 'query', id: 3 });
  });

  it('leaves everything else alone', () => {
    expect(parseKill(c, 'select 1')).toBeUndefined();
    expect(parseKill(c, "select 'kill 3'")).toBeUndefined();
    expect(parseKill(c, 'select skill from t')).toBeUndefined();
  });

  it('refuses KILLs it cannot map, rather than forwarding them', () => {
    expect(parseKill(c, 'KILL QUERY ID 4')).toMatchObject({ ok: false });
    expect(parseKill(c, 'KILL USER root')).toMatchObject({ ok: false });
    expect(parseKill(c, 'kill query 3; select 1')).toMatchObject({ ok: false });
    expect(parseKill(c, 'select 1; kill 3')).toMatchObject({ ok: false });
    expect(parseKill(c, '/*!99999 KILL 3 */')).toMatchObject({ ok: false });
    expect(parseKill(c, 'KILL 99999999999')).toMatchObject({ ok: false });
  });
});
