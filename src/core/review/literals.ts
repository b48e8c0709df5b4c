import { createDetectors } from '../masking/detectors.ts';
import { detectorNames } from '../masking/types.ts';
import type { PgParser } from '../sql/parser.ts';

/**
 * What approvers see of a held statement: the statement as written, with
 * literals that look sensitive (cards, emails, national ids, keys…) replaced.
 * Literals are found by the real PostgreSQL scanner; the content detectors
 * decide which look sensitive, so `WHERE id = 42` stays readable.
 */
const literalTokens = new Set(['SCONST', 'ICONST', 'FCONST', 'BCONST', 'XCONST', 'USCONST']);

export function createLiteralMasker(parser: PgParser): (text: string) => string {
  const detectors = createDetectors(detectorNames);
  const sensitive = (v: string) => detectors.some((d) => d.quick(v) && [...v.matchAll(d.pattern)].some((m) => d.valid(m[0])));
  const maskAll = (v: string) => detectors.reduce((out, d) => out.replace(d.pattern, (m) => (d.valid(m) ? '****' : m)), v);
  return (text) => {
    let tokens;
    try {
      tokens = parser.scan(text).tokens;
    } catch {
      // fail closed: without tokens, hide every detectable value wherever it stands.
      return maskAll(text);
    }
    let out = '';
    let at = 0;
    for (const t of tokens) {
      if (!literalTokens.has(t.tokenName) || !sensitive(t.text)) continue;
      out += text.slice(at, t.start) + (t.tokenName === 'SCONST' ? "'****'" : '****');
      at = t.end;
    }
    return out + text.slice(at);
  };
}

/**
 * The statement an extended-protocol Execute really runs: each `$n` (found by
 * the scanner) replaced by its bound value as a quoted literal, so approvers
 * see the values and a queue-mode approval covers exactly these values.
 * Binary parameters arrive as `\x…` hex and stay that way.
 */
export function inlineParameters(parser: PgParser, text: string, params: readonly (string | null)[]): string {
  if (params.length === 0) return text;
  let tokens;
  try {
    tokens = parser.scan(text).tokens;
  } catch {
    return `${text} /* parameters: ${params.map((p, i) => `$${i + 1}=${p === null ? 'NULL' : quote(p)}`).join(', ')} */`;
  }
  let out = '';
  let at = 0;
  for (const t of tokens) {
    if (t.tokenName !== 'PARAM') continue;
    const value = params[Number(t.text.slice(1)) - 1];
    if (value === undefined) continue;
    out += text.slice(at, t.start) + (value === null ? 'NULL' : quote(value));
    at = t.end;
  }
  return out + text.slice(at);
}

const quote = (v: string) => `'${v.replaceAll("'", "''")}'`;
