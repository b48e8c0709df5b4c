import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cstring, message } from './codec/message.ts';
import { parseMessage, parseQuery, queryMessage } from './codec/frontend.ts';
import type { StatementTracker } from './events.ts';
import type { RelayVerdict } from './gatekeeper.ts';
import { Relay, type RelayHooks } from './relay.ts';

/**
 * The relay's client → target half with policy answering at once (`decideNow`)
 * or later (`decide`, `review`): what reaches the target, in what order, and
 * what the tracker is told. Real sockets on 127.0.0.1, a recording fake tracker.
 */

const allow: RelayVerdict = { effect: 'allow', rules: [{ id: 'test-allow', reason: '' }] };
const block = (message: string): RelayVerdict => ({ effect: 'block', rules: [{ id: 'test-block', reason: '' }], message });
const review: RelayVerdict = { effect: 'review', rules: [{ id: 'test-review', reason: '' }], approvers: [], message: 'needs a second pair of eyes' };

const bind = (portal: string, statement: string, params: string[]) => {
  const values = params.map((p) => Buffer.concat([int32(Buffer.byteLength(p)), Buffer.from(p)]));
  return message('B', Buffer.concat([cstring(portal), cstring(statement), int16(0), int16(params.length), ...values, int16(0)]));
};
const execute = (portal: string) => message('E', Buffer.concat([cstring(portal), int32(0)]));
const sync = () => message('S');
function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** What the tracker heard, as `method text-or-name verdict-effect`. */
function fakeTracker(calls: string[]): StatementTracker {
  const tracker = {
    applicable: (_text: string, v: RelayVerdict) => v,
    learn: () => undefined,
    learnPortal: () => undefined,
    query: (text: string, v: RelayVerdict) => calls.push(`query ${text} ${v.effect}`),
    parse: (name: string, text: string, v: RelayVerdict) => calls.push(`parse ${name} ${text} ${v.effect}`),
    bind: (portal: string, statement: string) => calls.push(`bind ${portal} ${statement}`),
    execute: (portal: string, v?: RelayVerdict) => calls.push(`execute ${portal}${v ? ` ${v.effect}` : ''}`),
    describe: () => undefined,
    sync: () => calls.push('sync'),
    close: () => undefined,
    stopped: (text: string, v: RelayVerdict) => calls.push(`stopped ${text} ${v.effect}`),
  };
  return tracker as unknown as StatementTracker;
}

const open: (() => void)[] = [];
afterEach(() => {
  while (open.length > 0) open.pop()!();
});

/** Two connected socket pairs: the test's client ↔ the relay's client side, the relay's target side ↔ the test's target. */
async function pairs(): Promise<{ client: Socket; relayClient: Socket; relayTarget: Socket; target: Socket }> {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const dial = () => new Promise<Socket>((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); });
  const client = await dial();
  const relayTarget = await dial();
  while (accepted.length < 2) await new Promise((r) => setTimeout(r, 5));
  server.close();
  const [relayClient, target] = accepted as [Socket, Socket];
  open.push(() => [client, relayClient, relayTarget, target].forEach((s) => s.destroy()));
  return { client, relayClient, relayTarget, target };
}

/** Collects what the target receives until `n` messages have come. */
function received(target: Socket, n: number): Promise<{ type: string; text: string }[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const out: { type: string; text: string }[] = [];
    target.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
        const end = 1 + buf.readInt32BE(1);
        const type = String.fromCharCode(buf[0]!);
        out.push({ type, text: type === 'Q' ? parseQuery(buf, 0, end) : type === 'P' ? buf.subarray(5, end).toString('utf8').split('\0')[1]! : '' });
        buf = buf.subarray(end);
      }
      if (out.length >= n) resolve(out);
    });
  });
}

function relay(sockets: { relayClient: Socket; relayTarget: Socket }, hooks: Partial<RelayHooks>, calls: string[]): Relay {
  const r = new Relay(sockets.relayClient, sockets.relayTarget, {
    decide: async () => {
      throw new Error('decide must not be asked');
    },
    review: async () => {
      throw new Error('review must not be asked');
    },
    tracker: fakeTracker(calls),
    onBytes: () => undefined,
    onEnd: () => undefined,
    ...hooks,
  });
  r.start(Buffer.alloc(0), Buffer.alloc(0));
  return r;
}

describe('Relay, client → target', () => {
  it('sends what policy allows at once without asking decide, unchanged and in order', async () => {
    const s = await pairs();
    const calls: string[] = [];
    const asked: string[] = [];
    relay(s, { decideNow: (text) => (asked.push(text), allow) }, calls);
    const got = received(s.target, 6);
    s.client.write(Buffer.concat([queryMessage('SELECT 1'), parseMessage('s1', 'SELECT $1'), bind('', 's1', ['7']), execute(''), sync(), queryMessage('SELECT 2')]));
    expect((await got).map((m) => `${m.type} ${m.text}`.trim())).toEqual(['Q SELECT 1', 'P SELECT $1', 'B', 'E', 'S', 'Q SELECT 2']);
    expect(asked).toEqual(['SELECT 1', 'SELECT $1', 'SELECT 2']);
    expect(calls).toEqual(['query SELECT 1 allow', 'parse s1 SELECT $1 allow', 'bind  s1', 'execute ', 'sync', 'query SELECT 2 allow']);
  });

  it('replaces a statement blocked at once by one that fails on the target', async () => {
    const s = await pairs();
    const calls: string[] = [];
    relay(s, { decideNow: (text) => (text.startsWith('DROP') ? block('no dropping') : allow) }, calls);
    const got = received(s.target, 2);
    s.client.write(Buffer.concat([queryMessage('DROP TABLE t'), queryMessage('SELECT 2')]));
    const [first, second] = await got;
    expect(first!.text).toMatch(/^SELECT warden_blocked_[0-9a-f]+_1\(\)$/);
    expect(second!.text).toBe('SELECT 2');
    expect(calls).toEqual(['query DROP TABLE t block', 'query SELECT 2 allow']);
  });

  it('stops reading the client while the target takes no more, also after waiting for a decision, and loses nothing', async () => {
    const s = await pairs();
    const calls: string[] = [];
    let release!: (v: RelayVerdict) => void;
    relay(
      s,
      {
        decideNow: (text) => (text.startsWith('SELECT /* wait */') ? undefined : allow),
        decide: () => new Promise<RelayVerdict>((resolve) => (release = resolve)),
      },
      calls,
    );
    // The target reads nothing for now: its socket buffers fill, and the relay's writes to it stop being taken at once.
    s.target.pause();
    const filler = 'x'.repeat(256 * 1024);
    const big = Array.from({ length: 64 }, (_, i) => queryMessage(`SELECT '${i}${filler}'`));
    s.client.write(Buffer.concat([queryMessage('SELECT /* wait */ 1'), ...big]));
    await new Promise((r) => setTimeout(r, 100));
    release(allow);
    // Once the decision is in, the relay writes what it holds; with the target full, it must not read the client on.
    for (let i = 0; i < 100 && !s.relayClient.isPaused(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.relayClient.isPaused()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.relayClient.isPaused()).toBe(true);
    const got = received(s.target, 65);
    s.target.resume();
    const texts = (await got).map((m) => m.text.slice(0, 12));
    expect(texts).toEqual(['SELECT /* wa', ...Array.from({ length: 64 }, (_, i) => `SELECT '${i}${filler}`.slice(0, 12))]);
  });

  it('waits for decide when policy cannot answer at once (a review), keeping every later message in order', async () => {
    const s = await pairs();
    const calls: string[] = [];
    let release!: (v: RelayVerdict) => void;
    relay(
      s,
      {
        // As the gatekeeper does: a review at a Query is never answered at once.
        decideNow: (text) => (text.startsWith('DELETE') ? undefined : allow),
        decide: (text) => (text.startsWith('DELETE') ? new Promise<RelayVerdict>((resolve) => (release = resolve)) : Promise.resolve(allow)),
      },
      calls,
    );
    const got = received(s.target, 3);
    s.client.write(Buffer.concat([queryMessage('DELETE FROM t'), queryMessage('SELECT 2')]));
    await new Promise((r) => setTimeout(r, 50));
    s.client.write(queryMessage('SELECT 3'));
    await new Promise((r) => setTimeout(r, 50));
    // Held: nothing of the chunk, nor of the one after it, has reached the target.
    expect(calls).toEqual([]);
    release(block('approval required: denied'));
    const [first, second, third] = await got;
    expect(first!.text).toMatch(/^SELECT warden_blocked_/);
    expect([second!.text, third!.text]).toEqual(['SELECT 2', 'SELECT 3']);
    expect(calls).toEqual(['query DELETE FROM t block', 'query SELECT 2 allow', 'query SELECT 3 allow']);
  });

  it('judges each Execute of a Parse that needs review, and replaces a refused one', async () => {
    const s = await pairs();
    const calls: string[] = [];
    const reviewed: string[] = [];
    relay(
      s,
      {
        decideNow: (text, phase) => (text.startsWith('DELETE') ? (phase === 'parse' ? review : undefined) : allow),
        review: async (text, params) => {
          reviewed.push(`${text} ${params.join(',')}`);
          return params[0] === '1' ? allow : block('approval required: denied');
        },
      },
      calls,
    );
    const got = received(s.target, 7);
    s.client.write(Buffer.concat([parseMessage('d', 'DELETE FROM t WHERE id = $1'), bind('', 'd', ['1']), execute(''), bind('', 'd', ['2']), execute(''), sync(), queryMessage('SELECT 2')]));
    const msgs = await got;
    expect(msgs.map((m) => m.type)).toEqual(['P', 'B', 'E', 'B', 'P', 'S', 'Q']);
    expect(msgs[4]!.text).toMatch(/^SELECT warden_blocked_/);
    expect(reviewed).toEqual(['DELETE FROM t WHERE id = $1 1', 'DELETE FROM t WHERE id = $1 2']);
    expect(calls).toEqual(['parse d DELETE FROM t WHERE id = $1 review', 'bind  d', 'execute  allow', 'bind  d', 'stopped DELETE FROM t WHERE id = $1 block', 'sync', 'query SELECT 2 allow']);
  });

  it('sends a chunk up to its Terminate, statements blocked before it replaced, and nothing that follows it', async () => {
    const s = await pairs();
    const calls: string[] = [];
    relay(s, { decideNow: (text) => (text.startsWith('DROP') ? block('no dropping') : allow) }, calls);
    const bytes = new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      s.target.on('data', (chunk: Buffer) => (buf = Buffer.concat([buf, chunk])));
      s.target.on('end', () => resolve(buf));
      s.target.on('close', () => resolve(buf));
    });
    s.client.write(Buffer.concat([queryMessage('SELECT 1'), queryMessage('DROP TABLE t'), message('X'), queryMessage('SELECT 2')]));
    const got = await bytes;
    const types: string[] = [];
    const texts: string[] = [];
    for (let off = 0; off < got.length; off += 1 + got.readInt32BE(off + 1)) {
      types.push(String.fromCharCode(got[off]!));
      if (got[off] === 0x51) texts.push(parseQuery(got, off, off + 1 + got.readInt32BE(off + 1)));
    }
    expect(types).toEqual(['Q', 'Q', 'X']);
    expect(texts[0]).toBe('SELECT 1');
    expect(texts[1]).toMatch(/^SELECT warden_blocked_[0-9a-f]+_1\(\)$/);
    expect(calls).toEqual(['query SELECT 1 allow', 'query DROP TABLE t block']);
  });

  it('ends the session on a malformed message found while relaying at once', async () => {
    const s = await pairs();
    const ended: string[] = [];
    relay(s, { decideNow: () => allow, onEnd: (reason) => ended.push(reason) }, []);
    // A Bind whose parameter count runs past its end.
    s.client.write(message('B', Buffer.concat([cstring(''), cstring(''), int16(0), int16(3)])));
    s.client.resume();
    await new Promise<void>((resolve) => s.client.on('close', resolve));
    expect(ended[0]).toMatch(/^protocol violation/);
  });
});

/** A RowDescription of text columns with these names, from table OID `table`. */
function rowDescription(names: string[], table = 0): Buffer {
  const fields = names.map((n, i) => Buffer.concat([cstring(n), int32(table), int16(i + 1), int32(25), int16(-1), int32(-1), int16(0)]));
  return message('T', Buffer.concat([int16(names.length), ...fields]));
}

describe('Relay, target → client', () => {
  it('tells the tracker each RowDescription as it came, repeated, changed or back again, and passes the bytes on unchanged', async () => {
    const s = await pairs();
    const heard: string[] = [];
    const tracker = {
      ...fakeTracker([]),
      rowDescription: (columns: { name: string; tableOid: number }[]) => heard.push(columns.map((c) => `${c.name}@${c.tableOid}`).join(',')),
    } as unknown as StatementTracker;
    relay(s, { tracker }, []);
    const sent = [rowDescription(['a', 'b'], 7), rowDescription(['a', 'b'], 7), rowDescription(['a', 'b'], 8), rowDescription(['c']), rowDescription(['a', 'b'], 7)];
    const all = Buffer.concat(sent);
    const got = new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      s.client.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= all.length) resolve(buf);
      });
    });
    // One chunk, then each again in its own chunk (the socket's memory is reused between reads).
    s.target.write(all);
    for (const m of sent) {
      await new Promise((r) => setTimeout(r, 5));
      s.target.write(m);
    }
    expect((await got).subarray(0, all.length)).toEqual(all);
    await new Promise((r) => setTimeout(r, 50));
    const once = ['a@7,b@7', 'a@7,b@7', 'a@8,b@8', 'c@0', 'a@7,b@7'];
    expect(heard).toEqual([...once, ...once]);
  });

  it('tells the tracker each CommandComplete tag as it came: the same string while a tag repeats, a non-ASCII one decoded', async () => {
    const s = await pairs();
    const heard: string[] = [];
    const tracker = { ...fakeTracker([]), commandComplete: (tag: string) => heard.push(tag) } as unknown as StatementTracker;
    relay(s, { tracker }, []);
    const complete = (tag: Buffer) => message('C', Buffer.concat([tag, Buffer.from([0])]));
    // 'é' is two bytes (C3 A9) and one character; a lone E9 byte then is not 'é' but U+FFFD.
    const tags = ['SELECT 1', 'SELECT 1', 'SELECT 2', 'UPDATE 7', 'é', 'é'].map((t) => Buffer.from(t));
    const sent = [...tags, Buffer.from([0xe9]), Buffer.from('')].map(complete);
    s.target.write(Buffer.concat(sent));
    await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual(['SELECT 1', 'SELECT 1', 'SELECT 2', 'UPDATE 7', 'é', 'é', '\ufffd', '']);
    expect(heard[1]).toBe(heard[0]);
  });
});
