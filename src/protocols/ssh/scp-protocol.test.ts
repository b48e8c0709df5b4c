import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseControl, parseScpCommand, ScpFramer, scpTargetCommand, type ScpItem } from './scp-protocol.ts';

describe('parseScpCommand', () => {
  it('reads what OpenSSH scp -O runs on the far side', () => {
    expect(parseScpCommand('scp -t /tmp/x/')).toEqual({ mode: 'sink', recursive: false, preserve: false, dirTarget: false, path: { home: false, rest: '/tmp/x/' } });
    expect(parseScpCommand('scp -v -r -p -d -t -- -odd')).toMatchObject({ mode: 'sink', recursive: true, preserve: true, dirTarget: true, path: { rest: '-odd' } });
    expect(parseScpCommand('scp -f ~/notes.txt')).toMatchObject({ mode: 'source', path: { home: true, rest: 'notes.txt' } });
    expect(parseScpCommand("scp -f 'with space.txt'")).toMatchObject({ mode: 'source', path: { home: false, rest: 'with space.txt' } });
  });

  it('leaves to command policy anything a shell would expand or that is not a plain scp', () => {
    for (const line of ['scp -f /tmp/*.txt', 'scp -f $(id)', 'scp -f `id`', 'scp -t /tmp/x; rm -rf /', 'scp -f a b', 'scp -t -f /x', 'scp -x -t /x', 'scp /x', 'scp -f ~root/x', 'scp -f -x', 'scp  -t /x', "scp -f 'a'b'", 'ls -t /x']) {
      expect(parseScpCommand(line), line).toBeUndefined();
    }
  });

  it('runs the judged absolute path on the target, single-quoted', () => {
    const cmd = parseScpCommand('scp -r -t /tmp')!;
    expect(scpTargetCommand(cmd, "/tmp/it's")).toBe("scp -r -t -- '/tmp/it'\\''s'");
  });
});

describe('parseControl', () => {
  it('knows the control lines and refuses names with a slash', () => {
    expect(parseControl('C0644 12 a.txt')).toEqual({ kind: 'file', mode: '0644', size: 12, name: 'a.txt' });
    expect(parseControl('D0755 0 dir')).toEqual({ kind: 'dir', mode: '0755', name: 'dir' });
    expect(parseControl('E')).toEqual({ kind: 'end-dir' });
    expect(parseControl('T1700000000 0 1700000000 0')).toEqual({ kind: 'times' });
    expect(parseControl('\x01scp: oops')).toEqual({ kind: 'error', fatal: false, message: 'scp: oops' });
    for (const bad of ['C0644 12 ../x', 'C0644 12 a/b', 'C644 1 a', 'X', 'C0644 -1 a', '']) expect(parseControl(bad), bad).toBeUndefined();
  });
});

/** Frames a stream fed in arbitrary pieces, accepting every C line the way the relay does. */
function frame(pieces: Buffer[]): ScpItem[] {
  const f = new ScpFramer();
  const out: ScpItem[] = [];
  for (const p of pieces) {
    f.push(p);
    for (let item = f.next(); item; item = f.next()) {
      out.push(item);
      if (item.kind === 'line') {
        const c = parseControl(item.text);
        if (c?.kind === 'file') f.expectData(c.size);
      }
    }
  }
  return out;
}

describe('ScpFramer', () => {
  const stream = Buffer.concat([Buffer.from('D0755 0 d\nC0644 5 a.txt\n'), Buffer.from('he\nlo'), Buffer.from([0]), Buffer.from('C0644 0 empty\n'), Buffer.from([0]), Buffer.from('C0644 2 b\nxy\x01scp: read error\nE\n')]);

  it('splits control lines, file data and status bytes', () => {
    const items = frame([stream]);
    expect(items.map((i) => (i.kind === 'data' ? `data:${i.bytes}` : i.kind === 'line' ? i.text : `end:${i.ok}`))).toEqual(['D0755 0 d', 'C0644 5 a.txt', 'data:he\nlo', 'end:true', 'C0644 0 empty', 'end:true', 'C0644 2 b', 'data:xy', 'end:false', 'E']);
  });

  it('gives the same items, data joined, however the stream is cut', () => {
    const norm = (items: ScpItem[]) => {
      const out: string[] = [];
      for (const i of items) {
        const s = i.kind === 'data' ? `data:${i.bytes.toString('latin1')}` : i.kind === 'line' ? i.text : `end:${i.ok}:${i.raw.toString('latin1')}`;
        if (s.startsWith('data:') && out.at(-1)?.startsWith('data:')) out[out.length - 1] += s.slice(5);
        else out.push(s);
      }
      return out;
    };
    const whole = norm(frame([stream]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const pieces = [0, ...at].map((start, i) => stream.subarray(start, at[i] ?? stream.length));
        expect(norm(frame(pieces))).toEqual(whole);
      }),
    );
  });

  it('refuses a control line longer than any the protocol has', () => {
    const f = new ScpFramer();
    f.push(Buffer.alloc(9000, 0x41));
    expect(() => f.next()).toThrow(/too long/);
  });
});
