/** How a masked value is shown. */
export const maskStrategies = ['redact', 'partial', 'hash', 'null'] as const;
export type MaskStrategy = (typeof maskStrategies)[number];

/** Content detectors: they look at values whatever the column is called. */
export const detectorNames = ['card', 'email', 'phone', 'ssn', 'iban', 'jwt', 'aws_key', 'private_key'] as const;
export type DetectorName = (typeof detectorNames)[number];

/** A column rule: `column` is a `schema.table.column` glob, `name` a column-name glob (`*email*`). */
export interface ColumnMaskRule {
  column?: string | undefined;
  name?: string | undefined;
  strategy: MaskStrategy;
}

/** The `mask:` part of a policy rule. */
export interface MaskSpec {
  columns: ColumnMaskRule[];
  detectors: DetectorName[];
  detectorStrategy: MaskStrategy;
  /** Members of these groups see raw values; the exemption is recorded in the plan. */
  exemptGroups: string[];
}

/** What the policy verdict hands to the row masker: the mask rules that apply to this subject. */
export interface MaskPlan {
  columns: (ColumnMaskRule & { rule: string })[];
  detectors: { name: DetectorName; strategy: MaskStrategy; rule: string }[];
  /** Mask rules that matched but did not apply because the subject is in an exempt group. */
  exempted: { rule: string; group: string }[];
}

/**
 * A source column an output column derives from; `column` is `*` for a
 * whole-row reference (`row_to_json(c)`), `?` for one column of the table we
 * cannot name (renamed by an alias column list).
 */
export interface SourceColumn {
  schema: string | undefined;
  table: string;
  column: string;
}

/**
 * Any column of any table: what a column of a view whose definition cannot
 * be read, or of a relation the catalog did not confirm, may hold. Every
 * column rule and every name rule matches it (fail closed). The table name
 * holds a NUL, which no SQL identifier can.
 */
export const anySource: SourceColumn = Object.freeze({ schema: undefined, table: '\u0000any', column: '?' });

/** Column metadata as a protocol knows it (PostgreSQL: RowDescription + a catalog lookup). */
export interface ResultColumn {
  name: string;
  table?: { schema: string; name: string } | undefined;
  /** Source column name in `table`. */
  column?: string | undefined;
  type?: string | undefined;
  /**
   * Whether the values are character strings (text, varchar, char…): false for
   * a type known not to be (numbers, dates, json, opaque binary), undefined
   * when the protocol cannot tell (COPY lines, a user-defined type), which
   * counts as text. Only the lenient detectors for transformed values look at
   * it: a 9-digit number is an SSN candidate only in a text column.
   */
  text?: boolean | undefined;
}

/** Counts for the recording: how many values each column rule or detector masked. Never values. */
export interface MaskCounts {
  /** `output column name` → `rule id` → count. */
  byColumn: Record<string, Record<string, number>>;
  byDetector: Partial<Record<DetectorName, number>>;
  rows: number;
}
