import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { createMaskingServices } from '../../core/masking/service.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import type { MaskingServices } from '../../core/services.ts';
import { initSql } from '../../core/sql/parser.ts';
import { StatementTracker } from './events.ts';

let masking: MaskingServices;
beforeAll(async () => {
  masking = createMaskingServices(await initSql(), Buffer.alloc(32, 1), systemClock);
});

const allow: Verdict = { effect: 'allow', rules: [] };
const column = (name: string) => ({ name, tableOid: 0, attributeNumber: 0, typeOid: 25, format: 0 });

describe('recorded column names', () => {
  it('are one frozen array for every result of the same frozen shape (the recording writes their JSON once), a fresh one for each unfrozen shape', () => {
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, masking);
    const shared = Object.freeze([column('a'), column('b')]) as ReturnType<typeof column>[];
    for (const shape of [shared, shared, [column('a')]]) {
      tracker.query('SELECT 1', allow);
      tracker.rowDescription(shape);
      tracker.commandComplete('SELECT 0');
      tracker.readyForQuery(0x49);
    }
    expect(events.map((e) => e.columns)).toEqual([['a', 'b'], ['a', 'b'], ['a']]);
    expect(events[1]!.columns).toBe(events[0]!.columns);
    expect(Object.isFrozen(events[0]!.columns)).toBe(true);
    expect(Object.isFrozen(events[2]!.columns)).toBe(false);
  });
});

describe('rows affected', () => {
  it('are counted from each tag that has them, whatever the tag before, and never from SELECT', () => {
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, masking);
    for (const tags of [['UPDATE 3'], ['UPDATE 3'], ['SELECT 5'], ['INSERT 0 2', 'UPDATE 3'], ['BEGIN'], ['UPDATE 3', 'SELECT 1']]) {
      tracker.query('SELECT 1', allow);
      for (const tag of tags) tracker.commandComplete(tag);
      tracker.readyForQuery(0x49);
    }
    expect(events.map((e) => e.rowsAffected)).toEqual([3, 3, undefined, 5, undefined, 3]);
  });
});
