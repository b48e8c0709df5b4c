import { expect, test } from 'vitest';
import { execEvent } from './events.ts';

const base = { at: new Date('2026-01-01T00:00:00Z'), seq: 1, command: 'ls /', verdict: { effect: 'allow' as const, rules: [] }, durationMs: 2, stdoutBytes: 10, stderrBytes: 0 };

test('an exec is recorded with its exit status as tag and its byte counts', () => {
  expect(execEvent({ ...base, exit: { code: 0 } })).toMatchObject({ type: 'statement', text: 'ls /', commandTag: 'exit 0', columns: ['stdout_bytes', 'stderr_bytes'], rows: [['10', '0']] });
  expect(execEvent({ ...base, exit: { signal: 'TERM' } }).commandTag).toBe('signal TERM');
});

test('a blocked exec carries the block as its error and no tag', () => {
  const e = execEvent({ ...base, stdoutBytes: 0, verdict: { effect: 'block', rules: [{ id: 'r1', reason: '' }], message: 'no' }, exit: { blocked: 'no' } });
  expect(e).toMatchObject({ error: { code: 'blocked', message: 'no' }, verdict: { effect: 'block', rules: ['r1'] } });
  expect(e.commandTag).toBeUndefined();
});
