import type { Verdict } from '../policy/types.ts';
import type { StatementEvent } from './types.ts';

export type RecordedVerdict = NonNullable<StatementEvent['verdict']>;

/**
 * Verdicts are shared (memoised by policy), so each one's recorded form is
 * computed once; it is frozen, being shared by every statement it judged (the
 * recording also writes each one's JSON only once: json-line.ts).
 */
const recordedForm = new WeakMap<Verdict, RecordedVerdict>();

/**
 * What a recording keeps of a verdict: effect, deciding rule ids, statement
 * classes and tables, and the group exemptions that let raw values through.
 */
export function recordedVerdict(v: Verdict): RecordedVerdict {
  let out = recordedForm.get(v);
  if (!out) recordedForm.set(v, (out = build(v)));
  return out;
}

function build(v: Verdict): RecordedVerdict {
  const out: RecordedVerdict = { effect: v.effect, rules: v.rules.map((r) => r.id) };
  // Who saw raw values because of a group exemption is part of the record.
  if (v.effect === 'mask' && v.masks.exempted.length > 0) out.exempted = v.masks.exempted.map((e) => Object.freeze({ rule: e.rule, group: e.group }));
  if (v.statements?.length) {
    out.classes = [...new Set(v.statements.map((s) => s.class))];
    const tables = v.statements.flatMap((s) => s.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)));
    if (tables.length) out.tables = [...new Set(tables)];
  }
  for (const list of [out.rules, out.classes, out.tables, out.exempted]) if (list) Object.freeze(list);
  return Object.freeze(out);
}
