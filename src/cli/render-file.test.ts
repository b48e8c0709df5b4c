import { describe, expect, it } from 'vitest';
import type { FileEvent } from '../core/recording/types.ts';
import { renderEvent } from './render.ts';

const base: FileEvent = { type: 'file', at: '2026-01-05T12:00:00.000Z', seq: 3, via: 'sftp', op: 'upload', direction: 'upload', path: '/tmp/a.bin', durationMs: 4, verdict: { effect: 'allow', rules: ['default:file-allow'] } };

describe('renderEvent: file operations', () => {
  it('shows the path, size and hash of a transfer', () => {
    const lines = renderEvent({ ...base, bytes: 2048, sequential: true, sha256: 'ab'.repeat(32) }, 10);
    expect(lines[0]).toContain('#3  sftp upload /tmp/a.bin');
    expect(lines[1]).toBe(`    2.0 kB · sha256 ${'ab'.repeat(32)}`);
  });

  it('says when there is no hash, and why an operation did not happen', () => {
    expect(renderEvent({ ...base, op: 'download', direction: 'download', bytes: 10, sequential: false }, 10)[1]).toBe('    10 B · not sequential, no hash');
    const blocked = renderEvent({ ...base, via: 'scp', op: 'rename', path: '/tmp/a', to: '/etc/a', verdict: { effect: 'block', rules: ['r1'] }, error: { code: 'blocked', message: 'no' } }, 10);
    expect(blocked).toEqual([expect.stringContaining('scp rename /tmp/a -> /etc/a'), '    block by r1', '    ERROR blocked: no']);
  });
});
