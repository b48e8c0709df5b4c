import { WardenError } from '../core/errors.ts';

/**
 * How commands talk to the person or script that ran them: human text by
 * default, one JSON document with `--json`; errors as one line on stderr and
 * a non-zero exit code.
 */
export interface Output {
  readonly json: boolean;
  /** Prints `data` as JSON with --json, else the human text (built lazily). */
  result(data: unknown, human: () => string | string[]): void;
  /** Human-only note (to stderr when --json, so stdout stays parseable). */
  note(text: string): void;
}

export function output(opts: { json?: boolean }): Output {
  const json = opts.json === true;
  return {
    json,
    result(data, human) {
      if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else {
        const text = human();
        process.stdout.write(`${Array.isArray(text) ? text.join('\n') : text}\n`);
      }
    },
    note(text) {
      (json ? process.stderr : process.stdout).write(`${text}\n`);
    },
  };
}

/** A left-aligned text table; `-` for empty cells. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Wraps a command action: WardenErrors become one line on stderr and exit code 1, never a stack trace. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
      process.exitCode = 1;
    }
  };
}

export function reportError(err: unknown): void {
  if (err instanceof WardenError) {
    process.stderr.write(`warden: ${err.message}\n`);
  } else {
    // Not one of ours: a bug, so the stack is worth showing.
    process.stderr.write(`warden: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
}

export const shortTime = (iso: string | null): string => (iso === null ? '' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
