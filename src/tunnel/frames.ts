import { WardenError } from '../core/errors.ts';

/**
 * The tunnel's frames: one WebSocket binary message carries exactly one frame,
 * so WebSocket does the length framing and this codec only adds a type and a
 * stream id (5 bytes of header).
 *
 *   byte 0     type
 *   bytes 1-4  stream id (uint32 BE; the gateway allocates them)
 *   bytes 5..  payload
 *
 * open   {host, port} as JSON — gateway → agent: dial this target for a new stream
 * opened (empty)       — agent → gateway: the target answered; data may flow
 * data   bytes         — either way; never more than the peer's credit allows
 * credit uint32 BE     — "I consumed this many more bytes of yours": flow control
 * end    (empty)       — the sender will write no more (half close)
 * error  utf-8 message — the stream is gone (refused open, dial failure, reset)
 * replicas {self, replicas: [{id, url}]} as JSON, stream id 0 — gateway → agent:
 *        which replica this link reached and every live replica of the gateway, so
 *        the agent keeps one link to each (sent only to agents that announce the
 *        `replicas` feature, so an older agent never sees a frame it cannot read)
 * auth   a JSON object, on a stream — gateway → agent: a step of the target's login
 *        challenge (md5 salt, SCRAM messages) for a connection whose credentials the
 *        agent holds; agent → gateway: the answer. The secret never crosses the link.
 */
export const frameTypes = { open: 1, opened: 2, data: 3, credit: 4, end: 5, error: 6, replicas: 7, auth: 8 } as const;
export type FrameType = keyof typeof frameTypes;

export type Frame =
  | { type: 'open'; id: number; host: string; port: number }
  | { type: 'opened'; id: number }
  | { type: 'data'; id: number; data: Buffer }
  | { type: 'credit'; id: number; bytes: number }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'replicas'; id: number; self: string; replicas: ReplicaRef[] }
  | { type: 'auth'; id: number; body: Record<string, unknown> };

/** A gateway replica as an agent sees it: an id to tell links apart and where to dial it. */
export interface ReplicaRef {
  id: string;
  url: string;
}

/** Bytes a sender may have in flight per stream before the receiver grants more. */
export const defaultWindowBytes = 256 * 1024;
/** Largest data payload per frame: small enough that one stream never hogs the link for long. */
export const maxDataBytes = 32 * 1024;

const typeByCode = new Map<number, FrameType>(Object.entries(frameTypes).map(([k, v]) => [v, k as FrameType]));

export function encodeFrame(f: Frame): Buffer {
  // The hot path (every session byte): one allocation and one copy, no intermediate payload.
  if (f.type === 'data') {
    const out = Buffer.allocUnsafe(5 + f.data.length);
    out[0] = frameTypes.data;
    out.writeUInt32BE(f.id, 1);
    f.data.copy(out, 5);
    return out;
  }
  const payload =
    f.type === 'open'
      ? Buffer.from(JSON.stringify({ host: f.host, port: f.port }))
      : f.type === 'credit'
        ? u32(f.bytes)
        : f.type === 'error'
          ? Buffer.from(f.message, 'utf8')
          : f.type === 'replicas'
            ? Buffer.from(JSON.stringify({ self: f.self, replicas: f.replicas }))
            : f.type === 'auth'
              ? Buffer.from(JSON.stringify(f.body))
              : Buffer.alloc(0);
  const header = Buffer.allocUnsafe(5);
  header[0] = frameTypes[f.type];
  header.writeUInt32BE(f.id, 1);
  return Buffer.concat([header, payload]);
}

/** Parses one frame; throws WardenError('bad_request') for anything malformed (the link is then dropped). */
export function decodeFrame(buf: Buffer): Frame {
  // fail closed: a frame we cannot read ends the whole link rather than being guessed at.
  if (buf.length < 5) throw bad('a frame shorter than its header');
  const type = typeByCode.get(buf[0]!);
  if (type === undefined) throw bad(`unknown frame type ${buf[0]}`);
  const id = buf.readUInt32BE(1);
  const payload = buf.subarray(5);
  switch (type) {
    case 'open': {
      const parsed = parseJson(payload) as { host?: unknown; port?: unknown } | undefined;
      const host = parsed?.host;
      const port = parsed?.port;
      if (typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw bad('an open frame without a valid host and port');
      }
      return { type, id, host, port };
    }
    case 'data':
      return { type, id, data: payload };
    case 'credit':
      if (payload.length !== 4) throw bad('a credit frame without a 4-byte count');
      return { type, id, bytes: payload.readUInt32BE(0) };
    case 'error':
      return { type, id, message: payload.toString('utf8') };
    case 'replicas':
      return replicasFrame(id, parseJson(payload));
    case 'auth': {
      const body = parseJson(payload);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('an auth frame without a JSON object');
      return { type, id, body: body as Record<string, unknown> };
    }
    default:
      return { type, id };
  }
}

function replicasFrame(id: number, parsed: unknown): Frame {
  const p = parsed as { self?: unknown; replicas?: unknown } | undefined;
  const list = Array.isArray(p?.replicas) ? (p.replicas as { id?: unknown; url?: unknown }[]) : undefined;
  const valid = (r: { id?: unknown; url?: unknown }) => typeof r?.id === 'string' && r.id !== '' && typeof r.url === 'string' && /^(wss?|https?):\/\//.test(r.url);
  if (typeof p?.self !== 'string' || list === undefined || !list.every(valid)) throw bad('a replicas frame without a valid replica list');
  return { type: 'replicas', id, self: p.self, replicas: list.map((r) => ({ id: r.id as string, url: r.url as string })) };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

function bad(what: string): WardenError {
  return new WardenError('bad_request', `tunnel protocol error: ${what}; check that agent and gateway run the same Warden version`);
}
