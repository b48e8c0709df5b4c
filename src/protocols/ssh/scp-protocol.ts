/**
 * The legacy scp (rcp) protocol, pure: what `scp -O` runs on the far side
 * (`scp -t <path>` to receive, `scp -f <path>` to send) and the framing of
 * the stream the sending side writes: control lines (`C<mode> <size> <name>`,
 * `D<mode> 0 <name>`, `E`, `T<mtime> 0 <atime> 0`, `\x01`/`\x02` + error),
 * each file's bytes after its C line, then one status byte. The receiving
 * side answers each step with `\0` (ok), `\x01msg\n` (error) or `\x02msg\n`
 * (fatal).
 * @see https://web.archive.org/web/2019/https://blogs.oracle.com/janp/how-the-scp-protocol-works
 */

export interface ScpCommand {
  /** `sink`: the client uploads (`scp -t`); `source`: the client downloads (`scp -f`). */
  mode: 'sink' | 'source';
  recursive: boolean;
  preserve: boolean;
  /** `-d`: the target must be a directory (several sources). */
  dirTarget: boolean;
  /** As the target's shell would see it: `~` / `~/…` from the home directory, otherwise literal. */
  path: { home: boolean; rest: string };
}

const safeWord = /^[A-Za-z0-9_./+,:@%=~-]+$/;

/**
 * The scp invocation a client asks to exec, or undefined when the line is
 * anything else — including an scp whose path the target's shell would
 * expand (globs, `$`, quotes other than one plain single-quoted word): such
 * a line is judged as a command like any other (fail closed: Warden never
 * guesses which files a shell expansion names).
 */
export function parseScpCommand(line: string): ScpCommand | undefined {
  const m = /^scp((?: -[a-zA-Z]+)+)( --)? ('[^']*'|[^ ']+)$/.exec(line);
  if (!m) return undefined;
  const flags = m[1]!.replace(/[ -]/g, '');
  if (!/^[tfrpdv]+$/.test(flags)) return undefined;
  const t = flags.includes('t');
  const f = flags.includes('f');
  if (t === f) return undefined;
  const word = m[3]!;
  let path: ScpCommand['path'];
  if (word.startsWith("'")) path = { home: false, rest: word.slice(1, -1) };
  else {
    if (!safeWord.test(word) || (word.startsWith('-') && m[2] === undefined)) return undefined;
    if (word === '~' || word.startsWith('~/')) path = { home: true, rest: word.slice(2) };
    else if (word.includes('~')) return undefined;
    else path = { home: false, rest: word };
  }
  if (path.rest === '' && !path.home) return undefined;
  return { mode: t ? 'sink' : 'source', recursive: flags.includes('r'), preserve: flags.includes('p'), dirTarget: flags.includes('d'), path };
}

/** The command the gateway runs on the target instead: the path it judged, absolute and single-quoted. */
export function scpTargetCommand(cmd: ScpCommand, absPath: string): string {
  const flags = `${cmd.recursive ? ' -r' : ''}${cmd.preserve ? ' -p' : ''}${cmd.dirTarget ? ' -d' : ''}`;
  return `scp${flags} -${cmd.mode === 'sink' ? 't' : 'f'} -- '${absPath.replaceAll("'", "'\\''")}'`;
}

export type ScpControl =
  | { kind: 'file'; mode: string; size: number; name: string }
  | { kind: 'dir'; mode: string; name: string }
  | { kind: 'end-dir' }
  | { kind: 'times' }
  | { kind: 'error'; fatal: boolean; message: string };

/** One control line (without its `\n`), or undefined when it is not one the protocol has. */
export function parseControl(line: string): ScpControl | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^C([0-7]{4}) (\d{1,15}) ([^/]+)$/.exec(line))) return { kind: 'file', mode: m[1]!, size: Number(m[2]), name: m[3]! };
  if ((m = /^D([0-7]{4}) \d{1,15} ([^/]+)$/.exec(line))) return { kind: 'dir', mode: m[1]!, name: m[2]! };
  if (line === 'E') return { kind: 'end-dir' };
  if (/^T\d{1,20} \d{1,9} \d{1,20} \d{1,9}$/.test(line)) return { kind: 'times' };
  if (line.startsWith('\x01') || line.startsWith('\x02')) return { kind: 'error', fatal: line.startsWith('\x02'), message: line.slice(1) };
  return undefined;
}

export type ScpItem =
  | { kind: 'line'; raw: Buffer; text: string }
  | { kind: 'data'; bytes: Buffer }
  /** The status byte after a file's data: `\0`, or an error line from the sender. */
  | { kind: 'file-end'; raw: Buffer; ok: boolean };

/** Longest control line accepted: a name is at most PATH_MAX (4096) bytes. */
const maxLine = 8192;

/**
 * Splits the sender's stream into items. File data is only expected once the
 * consumer accepted a C line (`expectData`): a refused file is never sent.
 * `next()` returns undefined when more bytes are needed; it throws on a line
 * longer than any the protocol has.
 */
export class ScpFramer {
  #buf: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #state: 'line' | 'data' | 'status' = 'line';

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
  }

  expectData(size: number): void {
    this.#remaining = size;
    this.#state = size > 0 ? 'data' : 'status';
  }

  next(): ScpItem | undefined {
    if (this.#buf.length === 0) return undefined;
    if (this.#state === 'data') {
      const n = Math.min(this.#remaining, this.#buf.length);
      const bytes = this.#buf.subarray(0, n);
      this.#buf = this.#buf.subarray(n);
      this.#remaining -= n;
      if (this.#remaining === 0) this.#state = 'status';
      return { kind: 'data', bytes };
    }
    if (this.#state === 'status' && this.#buf[0] === 0) {
      const raw = this.#buf.subarray(0, 1);
      this.#buf = this.#buf.subarray(1);
      this.#state = 'line';
      return { kind: 'file-end', raw, ok: true };
    }
    const nl = this.#buf.indexOf(0x0a);
    if (nl === -1) {
      if (this.#buf.length > maxLine) throw new Error('scp control line too long');
      return undefined;
    }
    const raw = this.#buf.subarray(0, nl + 1);
    this.#buf = this.#buf.subarray(nl + 1);
    if (this.#state === 'status') {
      this.#state = 'line';
      return { kind: 'file-end', raw, ok: false };
    }
    return { kind: 'line', raw, text: raw.subarray(0, nl).toString('utf8') };
  }
}
