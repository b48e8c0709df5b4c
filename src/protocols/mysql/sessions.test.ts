import { describe, expect, it } from 'vitest';
import { SessionDirectory, type LiveMysqlSession } from './sessions.ts';

const session = {} as LiveMysqlSession;

describe('SessionDirectory ids', () => {
  it('hands out random non-zero 32-bit ids, not a count every replica repeats', () => {
    const d = new SessionDirectory();
    const ids = Array.from({ length: 2000 }, () => d.nextId());
    for (const id of ids) expect(Number.isInteger(id) && id >= 1 && id <= 0xffffffff).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Another replica's directory does not start where this one did.
    const other = new SessionDirectory();
    expect(new Set([...ids, ...Array.from({ length: 2000 }, () => other.nextId())]).size).toBeGreaterThan(3990);
    expect(ids.slice(0, 5)).not.toEqual([1, 2, 3, 4, 5]);
  });

  it('never hands out an id a live connection holds, until it is released', () => {
    // A random source that keeps proposing 7 before 8 and 9: the directory must skip the taken ones.
    const proposals = [7, 7, 8, 7, 8, 9, 7];
    const d = new SessionDirectory(() => proposals.shift() ?? 7);
    expect(d.nextId()).toBe(7);
    d.add(7, session);
    expect(d.nextId()).toBe(8); // 7 skipped
    expect(d.nextId()).toBe(9); // 7 and 8 skipped
    expect(d.get(7)).toBe(session);
    d.release(7);
    expect(d.get(7)).toBeUndefined();
    expect(d.nextId()).toBe(7); // free again once released
  });
});
