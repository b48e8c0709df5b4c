import { expect, test } from 'vitest';
import { LineTracker, type TrackStep } from './line-tracker.ts';

const enters = (steps: TrackStep[]) => steps.filter((s) => s.kind === 'enter').map((s) => ({ line: s.line, uncertain: s.uncertain }));
/** Types `keys` (one chunk each) and returns what Enter saw. */
const typed = (...keys: string[]) => {
  const t = new LineTracker();
  return keys.flatMap((k) => enters(t.feed(Buffer.from(k, 'binary'))));
};

test('printable keys make the line, and Enter (CR or LF) hands it over', () => {
  expect(typed('echo ', 'ok\r')).toEqual([{ line: 'echo ok', uncertain: undefined }]);
  expect(typed('ls\n')).toEqual([{ line: 'ls', uncertain: undefined }]);
});

test('the bytes come back unchanged, split so that only Enter waits', () => {
  const t = new LineTracker();
  const steps = t.feed(Buffer.from('rm x\rls\r'));
  expect(steps.map((s) => [s.kind, s.bytes.toString()])).toEqual([
    ['forward', 'rm x'],
    ['enter', '\r'],
    ['forward', 'ls'],
    ['enter', '\r'],
  ]);
  expect(Buffer.concat(steps.map((s) => s.bytes)).toString()).toBe('rm x\rls\r');
});

test('backspace, DEL, Ctrl-U, Ctrl-W, Ctrl-K and Ctrl-C edit as readline does', () => {
  expect(typed('rmx\x7f\x7f\x08ls\r')).toEqual([{ line: 'ls', uncertain: undefined }]);
  expect(typed('rm -rf /\x15echo hi\r')).toEqual([{ line: 'echo hi', uncertain: undefined }]);
  expect(typed('echo rm -rf\x17\x17hi\r')).toEqual([{ line: 'echo hi', uncertain: undefined }]);
  expect(typed('echo abc\x01\x06\x06\x06\x0b\r')).toEqual([{ line: 'ech', uncertain: undefined }]);
  expect(typed('rm -rf /\x03echo ok\r')).toEqual([{ line: 'echo ok', uncertain: undefined }]);
});

test('arrow, Home, End and Delete keys move and delete at the cursor (CSI and SS3 forms, split across chunks)', () => {
  // Two Lefts put the cursor before " x".
  expect(typed('echo x\x1b[D\x1b[Dy\r')).toEqual([{ line: 'echoy x', uncertain: undefined }]);
  expect(typed('cho ok\x1b[H', 'e\x1b[F!\r')).toEqual([{ line: 'echo ok!', uncertain: undefined }]);
  expect(typed('echo okk\x1b', '[D\x1b[3~\x1bOC\r')).toEqual([{ line: 'echo ok', uncertain: undefined }]);
  expect(typed('rm-x\x1b[1~\x1b[3~\x1b[3~\x1b[3~ls\r')).toEqual([{ line: 'lsx', uncertain: undefined }]);
});

test('history recall, tab completion, yank and Alt keys leave the line uncertain with the reason', () => {
  expect(typed('\x1b[A\r')).toEqual([{ line: '', uncertain: 'history recall' }]);
  expect(typed('\x1bOA\r')).toEqual([{ line: '', uncertain: 'history recall' }]);
  expect(typed('rm /tmp/fi\t\r')).toEqual([{ line: 'rm /tmp/fi', uncertain: 'tab completion' }]);
  expect(typed('echo \x19\x1bb\r')).toEqual([{ line: 'echo ', uncertain: 'a yank (Ctrl-Y), an Alt/Meta key' }]);
  // Enter starts a fresh, certain line; so does Ctrl-C.
  expect(typed('\x10\rls\r')).toEqual([
    { line: '', uncertain: 'history recall' },
    { line: 'ls', uncertain: undefined },
  ]);
  expect(typed('\x12rm\x03ls\r')).toEqual([{ line: 'ls', uncertain: undefined }]);
});

test('a bracketed paste is text: its newlines do not press Enter', () => {
  const t = new LineTracker();
  const steps = t.feed(Buffer.from('\x1b[200~echo a\recho b\n\x1b[201~'));
  expect(steps.every((s) => s.kind === 'forward')).toBe(true);
  expect(enters(t.feed(Buffer.from('\r')))).toEqual([{ line: 'echo a\necho b\n', uncertain: undefined }]);
});

test('UTF-8 text is kept whole, even split across chunks', () => {
  const bytes = Buffer.from('echo héllo €\r');
  const t = new LineTracker();
  const got = [...bytes].flatMap((b) => enters(t.feed(Buffer.from([b]))));
  expect(got).toEqual([{ line: 'echo héllo €', uncertain: undefined }]);
  expect(typed('echo \xff\r')[0]!.uncertain).toBe('bytes that are not UTF-8');
});

test('while a full-screen program shows the alternate screen, keys pass untracked; the shell starts afresh after it', () => {
  const seen: boolean[] = [];
  const t = new LineTracker({ onFullScreen: (on) => seen.push(on) });
  t.feed(Buffer.from('vi notes'));
  expect(enters(t.feed(Buffer.from('\r')))).toEqual([{ line: 'vi notes', uncertain: undefined }]);
  t.output(Buffer.from('\x1b[?10'));
  t.output(Buffer.from('49h\x1b[H'));
  expect(t.fullScreen).toBe(true);
  expect(t.feed(Buffer.from('ihello\x1b:wq\r'))).toEqual([{ kind: 'forward', bytes: Buffer.from('ihello\x1b:wq\r') }]);
  t.output(Buffer.from('\x1b[?1049l$ '));
  expect(t.fullScreen).toBe(false);
  expect(enters(t.feed(Buffer.from('ls\r')))).toEqual([{ line: 'ls', uncertain: undefined }]);
  expect(seen).toEqual([true, false]);
});

test('a line past the cap is uncertain, never unbounded', () => {
  const [got] = typed('x'.repeat(20_000) + '\r');
  expect(got!.line.length).toBe(16_384);
  expect(got!.uncertain).toMatch(/longer than/);
});
