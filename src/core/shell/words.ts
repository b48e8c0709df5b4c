import type { Node } from 'mvdan-sh';
import { syntax } from './syntax.ts';

/** A shell word after quote removal; `value` is undefined when it is only known at run time. */
export interface Word {
  readonly value: string | undefined;
  /** The word as written, for messages and for dynamic words. */
  readonly raw: string;
}

/** Source text of a node; offsets are UTF-8 byte offsets (the parser is Go). */
export const sourceOf = (src: Buffer, n: Node): string => src.subarray(n.Pos().Offset(), n.End().Offset()).toString('utf8');

const unescapeBare = (s: string): string => s.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
const unescapeDouble = (s: string): string => s.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
// Brace expansion (`{rm,-rf,/}`, `{1..3}`) makes words at run time the parser keeps as one literal.
const braceExpands = (s: string): boolean => /\{[^}]*(,|\.\.)[^}]*\}/.test(s);

/** Static value of a word, or undefined when any part of it is computed at run time. */
export function wordOf(src: Buffer, w: Node): Word {
  const raw = sourceOf(src, w);
  let value: string | undefined = '';
  for (const part of (w['Parts'] as Node[] | null) ?? []) {
    const piece = partValue(part, false);
    if (piece === undefined) {
      value = undefined;
      break;
    }
    value += piece;
  }
  return { value, raw };
}

function partValue(part: Node, quoted: boolean): string | undefined {
  switch (syntax().NodeType(part)) {
    case 'Lit': {
      const v = String(part['Value'] ?? '');
      if (!quoted && braceExpands(v)) return undefined;
      return quoted ? unescapeDouble(v) : unescapeBare(v);
    }
    case 'SglQuoted':
      // `$'\x72m'` (ANSI-C quoting) decodes at run time: treated as dynamic rather than re-implemented.
      return part['Dollar'] === true ? undefined : String(part['Value'] ?? '');
    case 'DblQuoted': {
      if (part['Dollar'] === true) return undefined;
      let out = '';
      for (const p of (part['Parts'] as Node[] | null) ?? []) {
        const v = partValue(p, true);
        if (v === undefined) return undefined;
        out += v;
      }
      return out;
    }
    default:
      // ParamExp, CmdSubst, ArithmExp, ProcSubst, ExtGlob…: only known at run time.
      return undefined;
  }
}
