import { describe, expect, it } from 'vitest';
import { Answers } from './answers.ts';
import { lenenc, lenencBytes } from './codec/lenenc.ts';
import { packet } from './codec/packet.ts';
import type { StatementTracker } from './events.ts';

/**
 * Answers reads a chunk of whole packets in place and hands anything else
 * (a packet cut at the chunk's end, bytes after a held tail) to the framer:
 * wherever the target's bytes are cut, the same packets must be followed, in
 * order, and every byte forwarded as it came.
 */
const columnDef = Buffer.concat([...['def', 'db', 't', 't', 'c', 'c'].map((s) => lenencBytes(s)), Buffer.from([0x0c, 45, 0, 0xe0, 1, 0, 0, 0xfe, 0x01, 0x10, 0, 0, 0])]);
const eof = Buffer.from([0xfe, 0, 0, 2, 0]);
const rows = ['one', 'a longer second value', ''].map((v) => lenencBytes(v));
const result = Buffer.concat([lenenc(1), columnDef, eof, ...rows, eof].map((p, i) => packet(i + 1, p)));

/** What the tracker was told, as text. */
function recorder() {
  const seen: string[] = [];
  const tracker = {
    masking: false,
    columns: (defs: readonly { name: string }[]) => seen.push(`columns ${defs.map((d) => d.name).join(',')}`),
    row: (payload: Buffer) => void seen.push(`row ${payload.toString('hex')}`),
    ok: (n: number) => seen.push(`ok ${n}`),
    error: (code: number) => seen.push(`err ${code}`),
    end: () => seen.push('end'),
  };
  return { seen, tracker: tracker as unknown as StatementTracker };
}

/** Follows `answer` fed as `chunks`; returns the tracker's calls and the bytes to forward. */
function follow(chunks: Buffer[]): { seen: string[]; out: Buffer; pending: boolean } {
  const { seen, tracker } = recorder();
  const answers = new Answers(tracker, new Map(), { infileOpened: () => undefined });
  answers.expect('result', { kind: 'query', text: 'select c from t', verdict: { effect: 'allow', rules: [] } });
  const out = Buffer.concat(chunks.map((c) => answers.push(c)));
  return { seen, out, pending: answers.pending };
}

describe('Answers', () => {
  it('follows the same packets wherever the chunks are cut', () => {
    const whole = follow([result]);
    expect(whole.seen).toEqual(['columns c', ...rows.map((r) => `row ${r.toString('hex')}`), 'end']);
    expect(whole.out).toEqual(result);
    expect(whole.pending).toBe(false);
    for (let a = 1; a < result.length; a++) {
      for (const b of [a + 1, a + 5, result.length - 1]) {
        const chunks = b > a && b < result.length ? [result.subarray(0, a), result.subarray(a, b), result.subarray(b)] : [result.subarray(0, a), result.subarray(a)];
        const cut = follow(chunks);
        expect(cut.seen, `cut at ${a}, ${b}`).toEqual(whole.seen);
        expect(cut.out).toEqual(result);
        expect(cut.pending).toBe(false);
      }
    }
  });

  it('is still waiting while the last packet is incomplete', () => {
    const part = follow([result.subarray(0, result.length - 2)]);
    expect(part.pending).toBe(true);
    expect(part.seen).not.toContain('end');
  });
});
