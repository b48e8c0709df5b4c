import type { Verdict } from '../../core/policy/types.ts';
import type { ColumnInfo } from './codec/results.ts';

/** A Bind's portal: the statement it runs, with the parameters and result formats bound. */
export interface Portal {
  text: string;
  params: (string | null)[];
  /** The prepared statement's name ('' for the unnamed one). */
  prepared: string;
  verdict: Verdict | undefined;
  formats: number[];
}

/**
 * The extended protocol's names, as the session's StatementTracker (events.ts)
 * needs them: the prepared statements (text and verdict of their Parse), the
 * portals bound from them, and the result shapes their Describes returned. An
 * Execute names only a portal, and in the extended protocol a RowDescription
 * only ever answers a Describe: this is how a result's rows get their columns.
 */
export class PreparedPortals {
  readonly #prepared = new Map<string, { text: string; verdict: Verdict | undefined }>();
  readonly #portals = new Map<string, Portal>();
  /** Result shapes learned from RowDescriptions answering Describe, of statements (`S`) and portals (`P`) by name. */
  readonly #shapes = { S: new Map<string, ColumnInfo[]>(), P: new Map<string, ColumnInfo[]>() };
  /** Describes sent and not answered yet, in order, with their batch. */
  readonly #describes: { kind: 'S' | 'P'; name: string; batch: number }[] = [];

  parse(name: string, text: string, verdict: Verdict): void {
    this.#prepared.set(name, { text, verdict });
  }

  bind(portal: string, statement: string, params: (string | null)[], formats: number[]): void {
    const s = this.#prepared.get(statement);
    this.#portals.set(portal, { text: s?.text ?? '', params, prepared: statement, verdict: s?.verdict, formats });
    this.#shapes.P.delete(portal);
  }

  portal(name: string): Portal | undefined {
    return this.#portals.get(name);
  }

  describe(kind: 'S' | 'P', name: string, batch: number): void {
    this.#describes.push({ kind, name, batch });
  }

  /** A RowDescription: the shape of the oldest Describe waiting, remembered; false when none waits (it starts a simple Query's result). */
  described(columns: ColumnInfo[]): boolean {
    const described = this.#describes.shift();
    if (described === undefined) return false;
    this.#shapes[described.kind].set(described.name, columns);
    return true;
  }

  /** NoData: a Describe of something that returns no rows. */
  noData(): void {
    this.#describes.shift();
  }

  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') this.#prepared.delete(name);
    else this.#portals.delete(name);
    this.#shapes[kind].delete(name);
  }

  /** ReadyForQuery answered batch `answered`: Describes the server skipped after an error in their batch get no answer. */
  answered(batch: number): void {
    while (this.#describes.length > 0 && this.#describes[0]!.batch <= batch) this.#describes.shift();
  }

  /** The columns an Execute of portal `name` returns: its own Describe's, else its statement's with the Bind's formats; undefined when neither was described. */
  shapeOf(name: string, portal: Portal): ColumnInfo[] | undefined {
    const own = this.#shapes.P.get(name);
    if (own !== undefined) return own;
    const fromStatement = this.#shapes.S.get(portal.prepared);
    return fromStatement === undefined ? undefined : withFormats(fromStatement, portal.formats);
  }
}

/** A statement's Describe shape with the result formats a Bind asked for (`[]`: all text, one code: all columns). */
function withFormats(columns: ColumnInfo[], formats: readonly number[]): ColumnInfo[] {
  const allText = formats.length === 0 || (formats.length === 1 && formats[0] === 0);
  // The usual case, and no copy: a statement Describe reports every column as text.
  if (allText && columns.every((c) => c.format === 0)) return columns;
  return columns.map((c, i) => ({ ...c, format: formats.length === 0 ? 0 : formats.length === 1 ? formats[0]! : (formats[i] ?? 0) }));
}
