import { describe, expect, it } from 'vitest';
import { claimGroups, mapGroups } from './groups.ts';

describe('claimGroups', () => {
  it('reads an array or a single string, and nothing else', () => {
    expect(claimGroups({ groups: ['a', 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(claimGroups({ roles: 'dba' }, 'roles')).toEqual(['dba']);
    expect(claimGroups({ groups: ['a', ''] }, 'groups')).toEqual(['a']);
    expect(claimGroups({}, 'groups')).toEqual([]);
    expect(claimGroups({ groups: 7 }, 'groups')).toEqual([]);
    expect(claimGroups({ groups: ['a', 1] }, 'groups')).toEqual([]);
  });
});

describe('mapGroups', () => {
  const map = { 'eng-dba': ['dba', 'approvers'], 'eng-all': ['eng'], sre: ['dba'] };
  it('unions the mapped groups, sorted, without duplicates', () => {
    expect(mapGroups(['eng-dba', 'sre', 'eng-all'], map)).toEqual(['approvers', 'dba', 'eng']);
  });
  it('drops unmapped groups, including prototype names', () => {
    expect(mapGroups(['unknown', 'constructor', '__proto__', 'toString'], map)).toEqual([]);
  });
});
