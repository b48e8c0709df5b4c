import { describe, expect, it } from 'vitest';
import type { FileOp } from '../../core/policy/files.ts';
import type { FileEvent } from '../../core/recording/types.ts';
import { TransferTally, type FileOutcome } from './file-events.ts';
import { SftpHandles, type OpenHandle } from './sftp-handles.ts';
import { encodePacket, FX, FXP, statusPacket } from './sftp-packets.ts';

function outcome(op: FileOp, path: string): FileOutcome {
  return { via: 'sftp', op, paths: [path], at: new Date(0), seq: 1, startedMs: performance.now(), verdict: { effect: 'allow', rules: [] } };
}

function setup() {
  const events: FileEvent[] = [];
  return { events, handles: new SftpHandles((e) => events.push(e)) };
}

const handleAnswer = (id: number, h: string) => encodePacket(FXP.HANDLE, [id, h]);

describe('SftpHandles', () => {
  it('keeps the handle the target gives a judged OPEN, records the transfer at the CLOSE answer', () => {
    const { events, handles } = setup();
    const o = outcome('download', '/srv/a');
    o.tally = new TransferTally();
    const open: OpenHandle = { dir: false, upload: false, readable: true, path: '/srv/a', outcome: o };
    handles.sent(1, { kind: 'open', handle: open });
    expect(handles.outstanding).toBe(1);
    handles.answered(handles.take(1), handleAnswer(1, 'H'));
    expect(handles.get(Buffer.from('H'))).toBe(open);
    expect(events).toEqual([]);
    handles.release(Buffer.from('H'));
    expect(handles.get(Buffer.from('H'))).toBeUndefined();
    handles.sent(2, { kind: 'recorded', outcome: o });
    handles.answered(handles.take(2), statusPacket(2, FX.OK));
    expect(events).toMatchObject([{ type: 'file', op: 'download', path: '/srv/a', bytes: 0 }]);
    expect(events[0]!.error).toBeUndefined();
    expect(handles.outstanding).toBe(0);
  });

  it('records a listing when its handle opens, and a failed open or change with the target message', () => {
    const { events, handles } = setup();
    handles.sent(1, { kind: 'open', handle: { dir: true, upload: false, readable: false, path: '/d', outcome: outcome('list', '/d') } });
    handles.answered(handles.take(1), handleAnswer(1, 'D'));
    handles.sent(2, { kind: 'open', handle: { dir: false, upload: true, readable: false, path: '/ro', outcome: outcome('upload', '/ro') } });
    handles.answered(handles.take(2), statusPacket(2, FX.PERMISSION_DENIED, 'Permission denied'));
    handles.sent(3, { kind: 'recorded', outcome: outcome('mkdir', '/m') });
    handles.answered(handles.take(3), statusPacket(3, FX.FAILURE));
    expect(events).toMatchObject([
      { op: 'list', path: '/d' },
      { op: 'upload', path: '/ro', error: { code: 'target', message: 'Permission denied' } },
      { op: 'mkdir', path: '/m', error: { code: 'target', message: 'SFTP status 4' } },
    ]);
    expect(events[0]!.error).toBeUndefined();
    expect(handles.get(Buffer.from('D'))).toBeDefined();
  });

  it('records transfers still open as interrupted when the channel goes, and forgets every handle', () => {
    const { events, handles } = setup();
    for (const [id, h, dir] of [[1, 'F', false], [2, 'D', true]] as const) {
      handles.sent(id, { kind: 'open', handle: { dir, upload: !dir, readable: false, path: `/${h}`, outcome: outcome(dir ? 'list' : 'upload', `/${h}`) } });
      handles.answered(handles.take(id), handleAnswer(id, h));
    }
    events.length = 0;
    handles.interrupt();
    expect(events).toMatchObject([{ op: 'upload', path: '/F', error: { code: 'interrupted' } }]);
    expect(events).toHaveLength(1);
    expect(handles.get(Buffer.from('F'))).toBeUndefined();
  });

  it('fails closed on an answer to a request not outstanding, or of a type no request gets', () => {
    const { events, handles } = setup();
    expect(() => handles.take(5)).toThrow(/not outstanding/);
    handles.sent(5, { kind: 'plain' });
    expect(handles.isOutstanding(5)).toBe(true);
    const p = handles.take(5);
    expect(handles.isOutstanding(5)).toBe(false);
    expect(() => handles.take(5)).toThrow(/not outstanding/);
    expect(() => handles.answered(p, encodePacket(FXP.VERSION, [5]))).toThrow(/unknown type 2/);
    expect(() => handles.answered({ kind: 'recorded', outcome: outcome('remove', '/r') }, encodePacket(FXP.STATUS, [5]))).toThrow(/truncated/);
    expect(events).toEqual([]);
  });
});
