import type { FileOp } from './files.ts';
import type { ReviewSpec } from './rules.ts';
import type { MaskPlan } from '../masking/types.ts';
import type { CommandInfo } from '../shell/types.ts';
import type { StatementInfo } from '../sql/types.ts';

/**
 * Protocol-neutral requests and the verdicts policy returns for them.
 * Protocols build `Request`s from wire traffic; policy, review, masking,
 * recording and audit never see wire bytes.
 */
export type Request =
  | {
      kind: 'sql';
      dialect: 'postgres' | 'mysql';
      text: string;
      params?: unknown[];
      prepared?: string;
      /** Texts of statements prepared with SQL `PREPARE`, by name, so `EXECUTE name` is judged by what it runs. */
      preparedTexts?: ReadonlyMap<string, string>;
    }
  | {
      kind: 'command';
      line: string;
      interactive: boolean;
      /** A typed line Warden could not fully see (why: `history recall`, `tab completion`…); judged on what is known plus `uncertain: true` rules. */
      uncertain?: string;
    }
  /** Opening an interactive shell (SSH), judged by `shell: true` rules only; none matching = allow. */
  | { kind: 'shell' }
  /** A file operation (SFTP, scp): absolute normalised paths, two for rename, symlink and hardlink (from, to; a link first, then what it names). */
  | { kind: 'file'; op: FileOp; paths: string[] }
  | { kind: 'http'; method: string; path: string; headers: Record<string, string> }
  /**
   * A port forward (SSH): `-L`, the destination reached from the target's side;
   * with `remote`, `-R`, the address the target is asked to listen on.
   */
  | { kind: 'forward'; host: string; port: number; remote?: boolean }
  | { kind: 'connect' };

/** Which rule decided, for the audit trail: every verdict is explainable. */
export interface RuleRef {
  id: string;
  reason: string;
}

/**
 * `statements`: how the SQL was classified, for the recording and audit (class, tables…);
 * `commands`: likewise for a shell command line.
 */
export type Verdict =
  | { effect: 'allow'; rules: RuleRef[]; statements?: readonly StatementInfo[]; commands?: readonly CommandInfo[] }
  | { effect: 'block'; rules: RuleRef[]; message: string; statements?: readonly StatementInfo[]; commands?: readonly CommandInfo[] }
  | { effect: 'review'; rules: RuleRef[]; approvers: string[]; message: string; statements?: readonly StatementInfo[]; commands?: readonly CommandInfo[]; review?: ReviewSpec }
  | { effect: 'mask'; rules: RuleRef[]; masks: MaskPlan; statements?: readonly StatementInfo[]; commands?: readonly CommandInfo[] };

/** Who asks, where: what policy needs besides the request itself. */
export interface PolicySubject {
  user: string;
  groups: string[];
  connection: string;
  connectionTags: string[];
  at: Date;
}

export interface PolicyEngine {
  /** Never throws: an error inside is a block verdict (fail closed). */
  decide(subject: PolicySubject, request: Request): Promise<Verdict>;
  /**
   * The verdict `decide` would give, at once, for a caller's hot path (a
   * statement then goes out in the same turn as its bytes came in);
   * undefined: only `decide` can tell. Never throws (errors block).
   */
  decideNow?(subject: PolicySubject, request: Request): Verdict | undefined;
}

/** Allows everything; the gateway's default until rules are configured. */
export const allowAll: PolicyEngine = {
  decide: async () => ({ effect: 'allow', rules: [] }),
};
