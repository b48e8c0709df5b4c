/**
 * Splits MySQL text into statements and decides what is comment and what is
 * code, the way the MySQL/MariaDB lexer does — *before* any parser sees it.
 *
 * Why hand-written: node-sql-parser drops executable comments
 * (`/*!50000 DROP TABLE x *\/` parses to nothing, though MySQL executes it)
 * and treats `--1` as a comment (MySQL needs whitespace after `--`, so
 * `SELECT 1 --1, LOAD_FILE(…)` calls LOAD_FILE). A grammar cannot be told
 * these lexer rules, so this small scanner applies them and hands the parser
 * text with every comment already removed and every executable comment
 * unwrapped. It only tracks quotes, comments and `;` — nothing else.
 * @see https://dev.mysql.com/doc/refman/8.0/en/comments.html
 * @see https://mariadb.com/kb/en/comment-syntax/
 */

export interface ScanOptions {
  /** Whether `\` escapes a quote inside strings (true unless the session set NO_BACKSLASH_ESCAPES). */
  readonly backslashEscapes: boolean;
}

/** One statement, as code only (comments replaced by a space). */
export interface Piece {
  /** Every executable comment's content included (what a server that runs them all executes). */
  readonly code: string;
  /**
   * Versioned (`/*!NNNNN`) and MariaDB-only (`/*M!`) comment contents dropped: what a server
   * whose version or brand skips them executes. Equal to `code` when there are none.
   */
  readonly codeWithoutConditional: string;
  /** The statement ends inside a string, identifier or comment: the server rejects it. */
  readonly unterminated: boolean;
}

export interface ScanResult {
  readonly pieces: readonly Piece[];
  /** A backslash appeared inside a quoted string, so NO_BACKSLASH_ESCAPES would read the text differently. */
  readonly backslashInString: boolean;
  /** A comment opened inside an executable comment: the lexers disagree there, so callers fail closed. */
  readonly nestedComment: boolean;
}

const isSpaceOrControl = (c: string | undefined): boolean => c === undefined || c <= ' ';

/** Scans `text`; never throws. Empty statements (`;;`, comment-only) are left out. */
export function scanMysql(text: string, options: ScanOptions): ScanResult {
  const pieces: Piece[] = [];
  let all = '';
  let plain = '';
  let inExec: 'always' | 'conditional' | undefined;
  let backslashInString = false;
  let nestedComment = false;
  let unterminated = false;
  const emit = (s: string): void => {
    all += s;
    if (inExec !== 'conditional') plain += s;
  };
  const flush = (): void => {
    if (all.trim() !== '' || unterminated) pieces.push({ code: all.trim(), codeWithoutConditional: plain.trim(), unterminated });
    all = '';
    plain = '';
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      const end = quoteEnd(text, i, c, c !== '`' && options.backslashEscapes);
      if (c !== '`' && text.slice(i, end).includes('\\')) backslashInString = true;
      if (end > n) {
        unterminated = true;
        emit(text.slice(i));
        i = n;
        break;
      }
      emit(text.slice(i, end));
      i = end;
    } else if (c === '/' && next === '*') {
      const exec = execCommentStart(text, i);
      if (exec !== undefined && inExec === undefined) {
        inExec = exec.conditional ? 'conditional' : 'always';
        emit(' ');
        i = exec.contentStart;
        continue;
      }
      if (inExec !== undefined) nestedComment = true;
      const close = text.indexOf('*/', i + 2);
      if (close === -1) {
        unterminated = true;
        i = n;
        break;
      }
      emit(' ');
      i = close + 2;
    } else if (c === '*' && next === '/' && inExec !== undefined) {
      // the end of an executable comment: its content was code, the marker is not
      emit(' ');
      inExec = undefined;
      i += 2;
    } else if (c === '#' || (c === '-' && next === '-' && isSpaceOrControl(text[i + 2]))) {
      const eol = text.indexOf('\n', i);
      emit(' ');
      i = eol === -1 ? n : eol + 1;
    } else if (c === '-' && next === '-') {
      // `--` without a following space is two minus signs to MySQL, but a comment to the parser: keep them apart.
      emit('- ');
      i++;
    } else if (c === ';') {
      // fail closed: a `;` inside an executable comment still ends a statement here, so the
      // rest is classified as its own statement rather than hidden.
      flush();
      i++;
    } else {
      emit(c);
      i++;
    }
  }
  if (inExec !== undefined) unterminated = true;
  flush();
  return { pieces, backslashInString, nestedComment };
}

/** Index just past the closing quote (or `text.length + 1` when it never closes). */
function quoteEnd(text: string, start: number, q: string, backslash: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslash && c === '\\') i += 2;
    else if (c === q) {
      if (text[i + 1] === q) i += 2; // a doubled quote is a quote inside the string
      else return i + 1;
    } else i++;
  }
  return text.length + 1;
}

/** `/*!`, `/*!NNNNN`, `/*M!`, `/*M!NNNNNN` — where the code inside starts, and whether it is conditional. */
function execCommentStart(text: string, at: number): { contentStart: number; conditional: boolean } | undefined {
  let i = at + 2;
  let mariadbOnly = false;
  if (text[i] === 'M' && text[i + 1] === '!') {
    mariadbOnly = true;
    i++;
  }
  if (text[i] !== '!') return undefined;
  i++;
  const digits = /^\d{5,6}/.exec(text.slice(i, i + 6));
  // MySQL reads exactly 5 digits (MariaDB 5 or 6) as the version; more digits are code.
  const len = digits === null ? 0 : digits[0].length === 6 && !mariadbOnly ? 5 : digits[0].length;
  return { contentStart: i + len, conditional: mariadbOnly || len > 0 };
}
