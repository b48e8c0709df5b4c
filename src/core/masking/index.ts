/**
 * Masking: what each row may show. Column rules (by schema.table.column or
 * column-name glob, followed through expressions by lineage) and content
 * detectors (cards, emails, phones, SSNs, IBANs, JWTs, AWS keys, private
 * keys) mask values as they stream past, one row at a time; the recording
 * gets counts of what was masked, never the values.
 */
export { MaskerPool } from './masker-pool.ts';
export { createRowMasker, ownCounts } from './row-masker.ts';
export { ShapeCache } from './shape-cache.ts';
export type { RowMasker, RowMaskerOptions } from './row-masker.ts';
export { alignLineage, lineage, lineageOf } from './lineage.ts';
export type { LineageEntry } from './lineage.ts';
export { planMasks, isEmptyPlan } from './plan.ts';
export { applyStrategy } from './strategies.ts';
export { createDetectors } from './detectors.ts';
export { maskSpecSchema } from './schema.ts';
export { anySource, detectorNames, maskStrategies } from './types.ts';
export type { ColumnMaskRule, DetectorName, MaskCounts, MaskPlan, MaskSpec, MaskStrategy, ResultColumn, SourceColumn } from './types.ts';
