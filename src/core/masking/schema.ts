import { z } from 'zod';
import { detectorNames, maskStrategies } from './types.ts';

export const columnMaskRuleSchema = z
  .object({
    column: z.string().regex(/^[^.]+\.[^.]+\.[^.]+$/, 'column must be schema.table.column (globs allowed)').optional(),
    name: z.string().min(1).optional(),
    strategy: z.enum(maskStrategies).default('redact'),
  })
  .strict()
  .refine((r) => (r.column === undefined) !== (r.name === undefined), 'give exactly one of `column` or `name`');

export const maskSpecSchema = z
  .object({
    columns: z.array(columnMaskRuleSchema).default([]),
    detectors: z.union([z.literal('all'), z.array(z.enum(detectorNames))]).default([]).transform((d) => (d === 'all' ? [...detectorNames] : d)),
    detectorStrategy: z.enum(maskStrategies).default('redact'),
    exemptGroups: z.array(z.string().min(1)).default([]),
  })
  .strict();
