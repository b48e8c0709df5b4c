import type { MysqlClassifier } from '../../core/sql/mysql/index.ts';
import { scanMysql } from '../../core/sql/mysql/index.ts';
import type { Verdict } from '../../core/policy/types.ts';

/**
 * Whether the gateway passes a target's LOCAL INFILE request (0xFB + file
 * name) on to the client. The target asks the *client* for a file; the
 * gateway never reads its own filesystem, and relays only what the client
 * sends. It passes the request only when all hold:
 * - the statement was allowed by policy — and policy allows LOAD DATA LOCAL
 *   INFILE only through a rule naming it (core/policy/evaluate.ts), or an
 *   approved review;
 * - the statement is one plain `LOAD DATA [LOW_PRIORITY|CONCURRENT] LOCAL
 *   INFILE '<name>'` (no other statement, no versioned comments);
 * - the target asks for exactly `<name>`: a target asking for any other
 *   file is refused, so it cannot read what the client did not name.
 *
 * Returns undefined to pass the request, or why it is refused.
 */
const plainLoad = /^\s*load\s+data\s+(?:(?:low_priority|concurrent)\s+)?local\s+infile\s+'((?:[^'\\]|\\.|'')*)'/is;

export function refuseLocalInfile(classifier: MysqlClassifier, statement: { text: string; verdict: Verdict } | undefined, requested: string): string | undefined {
  if (statement === undefined) return 'the target asked for a client file outside a LOAD DATA LOCAL INFILE statement';
  const { text, verdict } = statement;
  if (verdict.effect !== 'allow' && verdict.effect !== 'mask') return 'the statement was not allowed';
  const infos = classifier.classify(text);
  // Several readings (a backslash in a string) are fine as long as each is the one LOAD DATA LOCAL INFILE.
  if (infos.length === 0 || !infos.every((i) => i.dangerous.includes('LOAD DATA LOCAL INFILE'))) return 'the target asked for a client file, but the statement is not one LOAD DATA LOCAL INFILE';
  const pieces = scanMysql(text, { backslashEscapes: true }).pieces.filter((p) => p.code.trim() !== '');
  const piece = pieces[0];
  if (pieces.length !== 1 || !piece || piece.unterminated || piece.code !== piece.codeWithoutConditional) return 'send LOAD DATA LOCAL INFILE alone and without versioned comments';
  const m = plainLoad.exec(piece.code);
  if (!m) return "write the file name as a plain '…' string right after LOCAL INFILE";
  // The name as the server reads it with backslash escapes (the default) or without (NO_BACKSLASH_ESCAPES).
  const named = [unquote(m[1]!), m[1]!.replace(/''/g, "'")];
  // fail closed: the target may only ask for the file the client named, byte for byte.
  if (!named.includes(requested)) return `the target asked for "${requested}", not the file the statement names`;
  return undefined;
}

/** A single-quoted MySQL string's content (backslash escapes and doubled quotes). */
function unquote(s: string): string {
  const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };
  return s.replace(/''|\\(.)/gs, (all, c: string | undefined) => (c === undefined ? "'" : (esc[c] ?? c)));
}
