import type { MaskPlan, MaskSpec } from './types.ts';

/**
 * Merges the mask specs of the rules that matched into one plan for this
 * subject. A rule whose `exemptGroups` include one of the subject's groups
 * does not apply, and the exemption is listed so the recording shows it.
 */
export function planMasks(specs: readonly { rule: string; spec: MaskSpec }[], groups: readonly string[]): MaskPlan {
  const plan: MaskPlan = { columns: [], detectors: [], exempted: [] };
  for (const { rule, spec } of specs) {
    const group = spec.exemptGroups.find((g) => groups.includes(g));
    if (group !== undefined) {
      plan.exempted.push({ rule, group });
      continue;
    }
    for (const c of spec.columns) plan.columns.push({ ...c, rule });
    for (const name of spec.detectors) {
      if (!plan.detectors.some((d) => d.name === name)) plan.detectors.push({ name, strategy: spec.detectorStrategy, rule });
    }
  }
  return plan;
}

export const isEmptyPlan = (p: MaskPlan): boolean => p.columns.length === 0 && p.detectors.length === 0;
