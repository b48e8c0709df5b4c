import { globMatch } from '../policy/glob.ts';
import { stricter } from './strategies.ts';
import { anySource, type MaskPlan, type MaskStrategy, type ResultColumn, type SourceColumn } from './types.ts';

export interface ColumnDecision {
  strategy: MaskStrategy;
  rule: string;
}

/**
 * `schema.table.column` glob vs a source; an unknown schema matches any, a
 * whole-row source (`*`) and an unknown column of the table (`?`) match any column;
 * `anySource` matches every rule.
 */
function columnGlobMatches(glob: string, s: SourceColumn): boolean {
  if (s.table === anySource.table) return true;
  const [gs = '', gt = '', gc = ''] = glob.split('.');
  if (s.schema !== undefined && !globMatch(gs, s.schema)) return false;
  if (!globMatch(gt, s.table)) return false;
  return s.column === '*' || s.column === '?' || globMatch(gc, s.column);
}

/**
 * The column rule that applies to one output column, from its own metadata
 * (name, source table/column from the protocol) and its lineage sources;
 * the strictest strategy wins. Undefined: no column rule, detectors only.
 */
export function decideColumn(plan: MaskPlan, col: ResultColumn, sources: readonly SourceColumn[]): ColumnDecision | undefined {
  const direct: SourceColumn[] =
    col.table !== undefined ? [{ schema: col.table.schema, table: col.table.name, column: col.column ?? col.name }] : [];
  const all = [...direct, ...sources];
  const names = [col.name, ...all.map((s) => s.column).filter((c) => c !== '*' && c !== '?')];
  // fail closed: a column renamed by an alias list (`?`) may be any column, so any name rule may apply.
  const unknownName = all.some((s) => s.column === '?');
  let best: ColumnDecision | undefined;
  for (const r of plan.columns) {
    const hit = r.column !== undefined ? all.some((s) => columnGlobMatches(r.column!, s)) : r.name !== undefined && (unknownName || names.some((n) => globMatch(r.name!, n)));
    // A whole row (`row_to_json(t)`, `t::text`) holding a masked column: partial or redact would
    // break its JSON/record syntax, so it goes as NULL (fail closed, still a valid value).
    const wholeRow = r.column !== undefined && hit && !all.some((s) => s.column !== '*' && columnGlobMatches(r.column!, s));
    if (hit && wholeRow) {
      best = { strategy: 'null', rule: r.rule };
      continue;
    }
    if (hit) best = best === undefined ? { strategy: r.strategy, rule: r.rule } : stricter(best.strategy, r.strategy) === best.strategy ? best : { strategy: r.strategy, rule: r.rule };
  }
  return best;
}
