import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { WardenError } from '../errors.ts';
import { rulesSchema } from './rules.ts';
import type { Rule } from './rules.ts';

/**
 * Parses a rules file (a YAML list of rules, or a map with a `rules:` list).
 * fail closed: one bad rule rejects the whole file, with the line that is wrong,
 * so a typo never silently drops a block rule.
 */
export function loadRulesYaml(text: string, source = 'rules file'): Rule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw bad(`${source} line ${line}: not valid YAML (${yamlError.message.split('\n')[0]})`);
  }
  const js: unknown = doc.toJS();
  const prefix = js !== null && typeof js === 'object' && !Array.isArray(js) ? ['rules'] : [];
  const list = prefix.length > 0 ? (js as Record<string, unknown>).rules : js;
  const parsed = rulesSchema.safeParse(list ?? []);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  // An unknown key is best pointed at by its own line.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const line = lineOf(doc, lineCounter, path);
  const ruleIndex = typeof issue.path[0] === 'number' ? issue.path[0] : undefined;
  const ruleId = ruleIndex === undefined ? undefined : (Array.isArray(list) ? (list[ruleIndex] as { id?: unknown } | undefined)?.id : undefined);
  const where = ruleId === undefined ? '' : ` (rule "${String(ruleId)}")`;
  const field = issue.path.slice(1).join('.');
  throw bad(`${source} line ${line}${where}: ${field === '' ? '' : `${field}: `}${issue.message}`);
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined | null)?.range;
    if (range !== undefined) return lc.linePos(range[0]).line;
  }
  return 1;
}

function bad(message: string): WardenError {
  return new WardenError('bad_request', `${message}. Fix it and apply the file again; none of its rules were applied.`);
}
