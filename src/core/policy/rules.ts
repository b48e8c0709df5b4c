import { z } from 'zod';
import { maskSpecSchema } from '../masking/schema.ts';
import { statementClasses } from '../sql/types.ts';

export const effects = ['allow', 'mask', 'review', 'block'] as const;
export type Effect = (typeof effects)[number];

/** block > review > mask > allow. */
export const effectRank: Record<Effect, number> = { allow: 0, mask: 1, review: 2, block: 3 };

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const validTz = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const globs = z.array(z.string().min(1)).optional();

export const timeWindowSchema = z
  .object({
    days: z.array(z.enum(weekdays)).optional(),
    hours: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, "hours must look like '09:00-18:00'")
      .optional(),
    tz: z.string().default('UTC').refine(validTz, 'unknown time zone (use an IANA name like Europe/Paris)'),
  })
  .strict();

export const matchSchema = z
  .object({
    users: globs,
    groups: globs,
    connections: globs,
    tags: globs,
    time: timeWindowSchema.optional(),
    /** SQL statement classes and/or command classes (core/shell `commandClasses`; `network` is command-only). */
    classes: z.array(z.enum([...statementClasses, 'network'])).optional(),
    kinds: globs,
    tables: globs,
    withoutWhere: z.boolean().optional(),
    functions: globs,
    /** Dangerous operations as the classifiers name them (`COPY PROGRAM`, `pg_read_file`…; for commands `rm -rf /`, `write to a device`…). */
    dangerous: globs,
    /** Command programs (basenames, and the wrappers they ran through: `sudo`, `bash -c`…); a rule with it never matches SQL. */
    commands: globs,
    /** File paths of SFTP/scp operations (case-sensitive globs, `!` negates); a rule with it never matches SQL or commands. */
    files: globs,
    /** File operations by direction: `download` reads from the target, `upload` changes it (see core/policy/files.ts). */
    direction: z.enum(['upload', 'download', 'any']).optional(),
    /** Port-forward destinations (`host:port` globs, e.g. `db.internal:5432`, `10.0.*:*`; `remote:host:port` for the address an `-R` listens on); only rules with it judge forwards (core/policy/forwards.ts). */
    forwards: globs,
    /** The rule is about opening an interactive shell (SSH): block = exec only, review = a shell needs approval. */
    shell: z.literal(true).optional(),
    /** The rule is about typed shell lines Warden could not fully see (history recall, tab completion…). */
    uncertain: z.literal(true).optional(),
  })
  .strict();

/** Criteria about what a request does; `shell` and `uncertain` rules take only who/where/when besides. */
const requestCriteria = ['classes', 'kinds', 'tables', 'withoutWhere', 'functions', 'dangerous', 'commands', 'files', 'direction', 'forwards'] as const;

/** How a `review` rule's reviews are decided (see core/review). Durations in minutes. */
export const reviewSpecSchema = z
  .object({
    mode: z.enum(['hold', 'queue']).default('hold'),
    approvals: z.number().int().min(1).max(10).default(1),
    eachGroup: z.boolean().default(false),
    timeoutMinutes: z.number().positive().max(7 * 24 * 60).default(10),
    approvalWindowMinutes: z.number().positive().max(30 * 24 * 60).default(60),
    maxRuns: z.number().int().min(1).default(1),
    requireJustification: z.boolean().default(false),
    /** When an approved command may run (queue: each run; hold: when the approval lands). */
    window: timeWindowSchema.optional(),
    /** Members of these groups run the statement without a review (recorded as such). */
    skipGroups: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type ReviewSpec = z.infer<typeof reviewSpecSchema> & {
  /** Set when several deciding rules are merged: every one of their windows must hold. */
  windows?: TimeWindow[];
};

export const ruleSchema = z
  .object({
    id: z.string().min(1),
    description: z.string().optional(),
    match: matchSchema.default({}),
    effect: z.enum(effects),
    message: z.string().optional(),
    approvers: z.array(z.string().min(1)).optional(),
    mask: maskSpecSchema.optional(),
    review: reviewSpecSchema.optional(),
  })
  .strict()
  .refine((r) => (r.effect === 'mask') === (r.mask !== undefined), 'a rule has `mask:` exactly when its effect is mask')
  .refine((r) => r.review === undefined || r.effect === 'review', '`review:` settings only go with effect review')
  .refine(
    (r) => (r.match.shell === undefined && r.match.uncertain === undefined) || (r.effect !== 'mask' && !(r.match.shell && r.match.uncertain) && requestCriteria.every((k) => r.match[k] === undefined)),
    '`shell: true` and `uncertain: true` each make a rule of its own: only users, groups, connections, tags and time go with them, and the effect is allow, review or block',
  );

export const rulesSchema = z.array(ruleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
  });
});

export type Rule = z.infer<typeof ruleSchema>;
export type RuleMatch = z.infer<typeof matchSchema>;
export type TimeWindow = z.infer<typeof timeWindowSchema>;
