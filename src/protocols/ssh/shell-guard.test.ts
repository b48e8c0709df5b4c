import { expect, test } from 'vitest';
import { ShellGuard, type GuardPorts, type LineJudge } from './shell-guard.ts';

/** A guard whose target and user are byte logs, judged by `judge`. */
function guard(judge: LineJudge) {
  const target: string[] = [];
  const user: string[] = [];
  const ports: GuardPorts = {
    toTarget: (b) => (target.push(b.toString('latin1')), true),
    drained: async () => undefined,
    endTarget: () => void target.push('<EOF>'),
    toUser: (t) => void user.push(t),
    judge,
    pauseClient: () => undefined,
    resumeClient: () => undefined,
  };
  return { g: new ShellGuard(ports), target, user };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

test('allowed lines get their Enter; blocked ones get Ctrl-C instead, and the user is told why', async () => {
  const { g, target, user } = guard(async (line) => (line.startsWith('rm') ? { allowed: false, message: 'no rm' } : { allowed: true }));
  g.input(Buffer.from('rm -rf /x\r'));
  g.input(Buffer.from('ls\r'));
  await settle();
  expect(target.join('')).toBe('rm -rf /x\x03ls\r');
  expect(user).toEqual(['\r\nwarden: no rm\r\n']);
});

test('keys typed while a line is judged wait their turn, and EOF comes after them', async () => {
  let release!: () => void;
  const { g, target } = guard((line) => (line === 'slow' ? new Promise((r) => (release = () => r({ allowed: true }))) : Promise.resolve({ allowed: true })));
  g.input(Buffer.from('slow\r'));
  g.input(Buffer.from('echo next\r'));
  g.end();
  await settle();
  expect(target.join('')).toBe('slow');
  release();
  await settle();
  expect(target.join('')).toBe('slow\recho next\r<EOF>');
});

test('Ctrl-C while a line waits (for a review) gives it up; a judge that throws blocks', async () => {
  let cancelled = false;
  const { g, target, user } = guard(
    (line, _u, cancel) =>
      new Promise((resolve, reject) => {
        if (line === 'boom') return reject(new Error('policy store down'));
        cancel.addEventListener('abort', () => ((cancelled = true), resolve({ allowed: false, message: 'cancelled' })));
      }),
  );
  g.input(Buffer.from('cp a b\r'));
  await settle();
  g.input(Buffer.from('\x03'));
  await settle();
  expect(cancelled).toBe(true);
  g.input(Buffer.from('boom\r'));
  await settle();
  expect(user.at(-1)).toContain('could not judge this line (policy store down)');
  expect(target.join('')).toBe('cp a b\x03\x03boom\x03');
});

test('empty lines are not judged', async () => {
  let judged = 0;
  const { g, target } = guard(async () => (judged++, { allowed: true }));
  g.input(Buffer.from('\r  \r'));
  await settle();
  expect(judged).toBe(0);
  expect(target.join('')).toBe('\r  \r');
});
