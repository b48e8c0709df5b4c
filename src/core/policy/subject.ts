import type { Clock } from '../clock.ts';
import type { PolicySubject } from './types.ts';

/**
 * The policy subject of one session, for every statement it sends: who asks does not change
 * within a session, so it is built once and frozen — the engine then keys its memoised verdicts
 * by it once (engine.ts) instead of per statement. The lists are private copies, so nothing
 * changes them behind the freeze. `at` reads the clock each time it is read, and only rules that
 * look at the time read it: a statement costs no Date, and a time window still sees the moment
 * each statement comes.
 */
export function sessionSubject(clock: Clock, user: { name: string; groups: readonly string[] }, connection: { name: string; tags: readonly string[] }): PolicySubject {
  return Object.freeze({
    user: user.name,
    groups: [...user.groups],
    connection: connection.name,
    connectionTags: [...connection.tags],
    get at() {
      return clock.now();
    },
  });
}
