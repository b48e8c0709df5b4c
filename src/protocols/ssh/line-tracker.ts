/**
 * The line a user is typing into an interactive shell, rebuilt from the keys
 * the client sends, so the gateway can judge it when Enter is pressed. It
 * models a readline-style editor (bash, zsh in emacs mode, and the kernel's
 * own line editing for shells without one): printable text inserted at the
 * cursor, Backspace/DEL, Delete, Ctrl-A/E/B/F and the arrow, Home and End
 * keys, Ctrl-U/K/W, Ctrl-C, and bracketed paste (ESC[200~ … ESC[201~, whose
 * newlines are part of the line, not Enter).
 *
 * Best effort by nature: keys whose effect only the target knows (history
 * recall, tab completion, yank, search, Alt-keys, unknown escapes) leave the
 * line *uncertain*, with the reasons, and the caller judges what is known plus
 * that uncertainty. While a full-screen program runs (the target switched to
 * the alternate screen) keys are not lines: they pass untracked.
 */
export type TrackStep =
  /** Bytes to pass to the target as they are. */
  | { kind: 'forward'; bytes: Buffer }
  /** Enter outside a paste: `bytes` is the key itself, held until the line is judged. */
  | { kind: 'enter'; bytes: Buffer; line: string; uncertain: string | undefined };

/** Longer lines are not kept whole; what was cut makes the line uncertain. */
const maxLineChars = 16_384;

const ESC = 0x1b;

export class LineTracker {
  #chars: string[] = [];
  #cursor = 0;
  #uncertain = new Set<string>();
  #paste = false;
  #esc: 'none' | 'esc' | 'csi' | 'ss3' = 'none';
  #csi = '';
  #utf8: number[] = [];
  #utf8Need = 0;
  #quoted = false;
  #fullScreen = false;
  #outTail = '';
  readonly #onFullScreen: ((on: boolean) => void) | undefined;

  constructor(opts: { onFullScreen?(on: boolean): void } = {}) {
    this.#onFullScreen = opts.onFullScreen;
  }

  /** True while the target shows the alternate screen (an editor, a pager, top…). */
  get fullScreen(): boolean {
    return this.#fullScreen;
  }

  /** The line as tracked so far (for tests and diagnostics). */
  get line(): string {
    return this.#chars.join('');
  }

  /** Client keys in; the same bytes out, split where Enter must wait for a verdict. */
  feed(chunk: Buffer): TrackStep[] {
    if (this.#fullScreen) return [{ kind: 'forward', bytes: chunk }];
    const steps: TrackStep[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (!this.#byte(chunk[i]!)) continue;
      if (i > start) steps.push({ kind: 'forward', bytes: chunk.subarray(start, i) });
      const uncertain = this.#uncertain.size > 0 ? [...this.#uncertain].join(', ') : undefined;
      steps.push({ kind: 'enter', bytes: chunk.subarray(i, i + 1), line: this.line, uncertain });
      this.reset();
      start = i + 1;
    }
    if (start < chunk.length) steps.push({ kind: 'forward', bytes: chunk.subarray(start) });
    return steps;
  }

  /**
   * Target output in: watches for the switch to and from the alternate
   * screen (`ESC[?1049h`/`l`, and the older 1047 and 47). Sequences split
   * across chunks are found through a short tail of the previous chunk.
   */
  output(chunk: Buffer): void {
    const text = this.#outTail + chunk.toString('latin1');
    this.#outTail = text.slice(-8);
    let on: boolean | undefined;
    for (const m of text.matchAll(/\x1b\[\?(?:1049|1047|47)([hl])/g)) on = m[1] === 'h';
    if (on === undefined || on === this.#fullScreen) return;
    this.#fullScreen = on;
    // Keys typed in the program were not shell input: the shell starts a fresh line after it.
    this.reset();
    this.#onFullScreen?.(on);
  }

  /** Forgets the line (after Enter, Ctrl-C, or a full-screen program). */
  reset(): void {
    this.#chars = [];
    this.#cursor = 0;
    this.#uncertain.clear();
    this.#paste = false;
    this.#esc = 'none';
    this.#csi = '';
    this.#utf8 = [];
    this.#utf8Need = 0;
    this.#quoted = false;
  }

  /** One byte; true when it is Enter. */
  #byte(b: number): boolean {
    if (this.#utf8Need > 0) return this.#continueUtf8(b);
    if (this.#esc !== 'none') return this.#escape(b), false;
    if (this.#quoted) {
      // Ctrl-V: the next key is inserted literally, whatever it is.
      this.#quoted = false;
      this.#insert(String.fromCharCode(b));
      return false;
    }
    if (b === ESC) return (this.#esc = 'esc'), false;
    if (this.#paste) {
      this.#insert(b === 0x0d ? '\n' : String.fromCharCode(b));
      return false;
    }
    if (b === 0x0d || b === 0x0a) return true;
    if (b >= 0x20 && b < 0x7f) return this.#insert(String.fromCharCode(b)), false;
    if (b >= 0x80) return this.#startUtf8(b), false;
    this.#control(b);
    return false;
  }

  #control(b: number): void {
    switch (b) {
      case 0x7f: // DEL (what terminals send for Backspace)
      case 0x08: // Ctrl-H
        if (this.#cursor > 0) this.#chars.splice(--this.#cursor, 1);
        return;
      case 0x04: // Ctrl-D: delete under the cursor (on an empty line: end of input, nothing to track)
        this.#chars.splice(this.#cursor, 1);
        return;
      case 0x01: // Ctrl-A
        this.#cursor = 0;
        return;
      case 0x05: // Ctrl-E
        this.#cursor = this.#chars.length;
        return;
      case 0x02: // Ctrl-B
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case 0x06: // Ctrl-F
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        return;
      case 0x03: // Ctrl-C: the shell drops the line, and with it whatever made it uncertain
        this.reset();
        return;
      case 0x15: // Ctrl-U: kill back to the start
        this.#chars.splice(0, this.#cursor);
        this.#cursor = 0;
        return;
      case 0x0b: // Ctrl-K: kill to the end
        this.#chars.splice(this.#cursor);
        return;
      case 0x17: // Ctrl-W: kill the whitespace-delimited word before the cursor
        this.#killWord();
        return;
      case 0x16: // Ctrl-V
        this.#quoted = true;
        this.#uncertain.add('a quoted insert (Ctrl-V)');
        return;
      case 0x0c: // Ctrl-L clears the screen, not the line
      case 0x07: // Ctrl-G
      case 0x1a: // Ctrl-Z and Ctrl-\ signal the foreground program
      case 0x1c:
        return;
      case 0x09:
        this.#uncertain.add('tab completion');
        return;
      case 0x10: // Ctrl-P, Ctrl-N
      case 0x0e:
        this.#uncertain.add('history recall');
        return;
      case 0x12: // Ctrl-R, Ctrl-S
      case 0x13:
        this.#uncertain.add('history search');
        return;
      case 0x19:
        this.#uncertain.add('a yank (Ctrl-Y)');
        return;
      default:
        this.#uncertain.add(`an editing key Warden does not model (0x${b.toString(16).padStart(2, '0')})`);
    }
  }

  #escape(b: number): void {
    if (this.#esc === 'esc') {
      if (b === 0x5b) return void (this.#esc = 'csi');
      if (b === 0x4f) return void (this.#esc = 'ss3');
      this.#esc = 'none';
      this.#uncertain.add('an Alt/Meta key');
      return;
    }
    // CSI parameters and intermediates are 0x20–0x3f; a byte in 0x40–0x7e ends the sequence.
    if (this.#esc === 'csi' && b >= 0x20 && b <= 0x3f && this.#csi.length < 32) return void (this.#csi += String.fromCharCode(b));
    const params = this.#esc === 'csi' ? this.#csi : '';
    this.#esc = 'none';
    this.#csi = '';
    this.#sequence(params, String.fromCharCode(b));
  }

  #sequence(params: string, final: string): void {
    const key = params + final;
    if (key === '200~') return void (this.#paste = true);
    if (key === '201~') return void (this.#paste = false);
    // Keys inside a paste are text the user pasted, not editing.
    if (this.#paste) return void this.#uncertain.add('an escape sequence inside a paste');
    switch (key) {
      case 'A':
      case 'B':
        this.#uncertain.add('history recall');
        return;
      case 'C':
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        return;
      case 'D':
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case 'H':
      case '1~':
      case '7~':
        this.#cursor = 0;
        return;
      case 'F':
      case '4~':
      case '8~':
        this.#cursor = this.#chars.length;
        return;
      case '3~':
        this.#chars.splice(this.#cursor, 1);
        return;
      case 'I': // focus in/out reports
      case 'O':
        return;
      default:
        this.#uncertain.add('a key sequence Warden does not model');
    }
  }

  #insert(ch: string): void {
    if (this.#chars.length >= maxLineChars) return void this.#uncertain.add(`a line longer than ${maxLineChars} characters`);
    this.#chars.splice(this.#cursor++, 0, ch);
  }

  #killWord(): void {
    let i = this.#cursor;
    while (i > 0 && /\s/.test(this.#chars[i - 1]!)) i--;
    while (i > 0 && !/\s/.test(this.#chars[i - 1]!)) i--;
    this.#chars.splice(i, this.#cursor - i);
    this.#cursor = i;
  }

  #startUtf8(b: number): void {
    const need = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : 0;
    if (need === 0 || b > 0xf4) return void this.#uncertain.add('bytes that are not UTF-8');
    this.#utf8 = [b];
    this.#utf8Need = need;
  }

  #continueUtf8(b: number): boolean {
    if ((b & 0xc0) !== 0x80) {
      // A broken sequence: note it and read this byte afresh.
      this.#utf8Need = 0;
      this.#uncertain.add('bytes that are not UTF-8');
      return this.#byte(b);
    }
    this.#utf8.push(b);
    if (--this.#utf8Need === 0) this.#insert(Buffer.from(this.#utf8).toString('utf8'));
    return false;
  }
}
