import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { TargetHostPins } from './host-pins.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'warden-pins-'));
  dirs.push(d);
  return d;
};

test('pins on first use, accepts the same key after a restart, refuses a changed one loudly', () => {
  const dir = fresh();
  const key = Buffer.from('host key one');
  expect(new TargetHostPins(dir).check('10.0.0.1', 22, key, 'web')).toBe(true);
  const again = new TargetHostPins(dir);
  expect(again.check('10.0.0.1', 22, key, 'web')).toBe(true);
  expect(() => again.check('10.0.0.1', 22, Buffer.from('host key two'), 'web')).toThrow(/CHANGED.*10\.0\.0\.1:22/);
  // Another address has its own pin.
  expect(again.check('10.0.0.1', 2222, Buffer.from('host key two'), 'web2')).toBe(true);
});
