import type { PgParser } from '../sql/parser.ts';

/**
 * The requester's justification for a statement that needs review, written
 * as a leading SQL comment: `/* justification: INC-123 rotate keys *\/ DELETE …`
 * or `-- justification: …` on its own line. PostgreSQL's scanner returns
 * comments as tokens (C_COMMENT, SQL_COMMENT), so only comments before the
 * first real token count: a `justification:` inside a string literal or
 * after the statement starts is never taken for one.
 */
export interface Justified {
  /** The text after `justification:`, trimmed; null when there is none. */
  justification: string | null;
  /** The statement with that comment removed (what is reviewed and fingerprinted). */
  statement: string;
}

const commentTokens = new Set(['C_COMMENT', 'SQL_COMMENT']);
const marker = /^justification\s*:\s*/i;

export function extractJustification(parser: PgParser, text: string): Justified {
  let tokens;
  try {
    tokens = parser.scan(text).tokens;
  } catch {
    // fail closed: text the scanner rejects carries no justification.
    return { justification: null, statement: text };
  }
  for (const t of tokens) {
    if (!commentTokens.has(t.tokenName)) break;
    const body = (t.tokenName === 'C_COMMENT' ? t.text.slice(2, -2) : t.text.slice(2)).trim();
    if (!marker.test(body)) continue;
    const justification = body.replace(marker, '').replace(/\s+/g, ' ').trim();
    if (justification === '') continue;
    const statement = (text.slice(0, t.start) + text.slice(t.end)).trim();
    return { justification, statement };
  }
  return { justification: null, statement: text };
}

/** How a PostgreSQL user adds one; part of the refusal message. */
export const justificationHint = 'start the statement with a comment giving the reason, e.g. /* justification: INC-123 rotate keys */ DELETE …';
