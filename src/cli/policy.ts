import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PolicyTestResult, PolicyView } from '../api/schemas.ts';
import { WardenError } from '../core/errors.ts';
import { action, shortTime, table } from './output.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden policy …`: the rules as data. Apply a rules file, show what is in force, dry-run a statement. */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('policy rules: apply a rules file (admin), show them, test a statement (admin, auditor)');
  const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

  apiCommand(policy.command('apply').description('replace the applied rules with a rules file; a bad file is rejected whole and changes nothing'))
    .requiredOption('-f, --file <file>', 'the rules file (YAML); `-` reads stdin')
    .addHelpText('after', '\nExample:\n  warden policy apply -f rules.yaml')
    .action(
      action(async (flags: ApiFlags & { file: string }) => {
        const { api, out } = await connect(flags);
        const applied = await api.applyPolicy(await readRules(flags.file));
        out.result(applied, () => `applied ${applied.rules} rule${applied.rules === 1 ? '' : 's'} from ${flags.file} (policy version ${applied.version})`);
      }),
    );

  apiCommand(policy.command('show').description('show the rules in force: from the configuration and applied with `warden policy apply`'))
    .option('--yaml', 'print the applied rules file as it was applied (to edit and apply again)')
    .action(
      action(async (flags: ApiFlags & { yaml?: boolean }) => {
        const { api, out } = await connect(flags);
        const p = await api.getPolicy();
        if (flags.yaml === true && !out.json) {
          process.stdout.write(p.yaml ?? '');
          return;
        }
        out.result(p, () => renderPolicy(p));
      }),
    );

  apiCommand(
    policy
      .command('test')
      .description('show the verdict a statement would get and the rules that decided; nothing runs (exit code 0 whatever the verdict)')
      .argument('<sql>', 'the SQL text, as the user would send it'),
  )
    .requiredOption('--user <name>', 'the Warden user (their groups come from Warden)')
    .requiredOption('--connection <name>', 'the connection (its tags come from Warden)')
    .option('--group <group>', "replace the user's groups (repeatable)", collect)
    .option('--tag <tag>', "replace the connection's tags (repeatable)", collect)
    .option('--at <time>', 'judge time windows at this ISO-8601 time (default: now), e.g. 2026-03-07T23:00:00+01:00')
    .option('-f, --file <file>', 'test against this rules file instead of the applied rules (nothing is applied)')
    .addHelpText('after', '\nExample:\n  warden policy test --user alice --connection prod-pg "DELETE FROM t"')
    .action(
      action(async (sql: string, flags: TestFlags) => {
        const { api, out } = await connect(flags);
        const result = await api.testPolicy({
          user: flags.user,
          connection: flags.connection,
          sql,
          ...(flags.group === undefined ? {} : { groups: flags.group }),
          ...(flags.tag === undefined ? {} : { tags: flags.tag }),
          ...(flags.at === undefined ? {} : { at: flags.at }),
          ...(flags.file === undefined ? {} : { yaml: await readRules(flags.file) }),
        });
        out.result(result, () => renderVerdict(result));
      }),
    );
}

interface TestFlags extends ApiFlags {
  user: string;
  connection: string;
  group?: string[];
  tag?: string[];
  at?: string;
  file?: string;
}

async function readRules(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw new WardenError('bad_request', `cannot read rules file ${file}: ${(err as Error).message}`);
  }
}

/** `block  (rule no-deletes: DeleteStmt (write) on t: …)` then the message, statements and notes. */
export function renderVerdict(r: PolicyTestResult): string[] {
  const why = r.rules.map((x) => `rule ${x.id}: ${x.reason}`).join('; ');
  const lines = [`${r.effect}${why === '' ? '' : `  (${why})`}`];
  if (r.message !== undefined) lines.push(`  message: ${r.message}`);
  if (r.approvers !== undefined && r.approvers.length > 0) lines.push(`  approvers: ${r.approvers.join(', ')}`);
  if (r.masks !== undefined) {
    const cols = r.masks.columns.map((c) => `${c.column ?? c.name} (${c.strategy}, ${c.rule})`);
    const dets = r.masks.detectors.map((d) => `${d.name} (${d.strategy}, ${d.rule})`);
    if (cols.length > 0) lines.push(`  masks columns: ${cols.join(', ')}`);
    if (dets.length > 0) lines.push(`  masks detected: ${dets.join(', ')}`);
    for (const e of r.masks.exempted) lines.push(`  exempt from ${e.rule} as a member of ${e.group}`);
  }
  r.statements.forEach((s, i) => {
    const facts = [s.class, s.kinds.join(' > ')];
    if (s.tables.length > 0) facts.push(`on ${s.tables.join(', ')}`);
    if (s.withoutWhere) facts.push('without WHERE');
    if (s.dangerous.length > 0) facts.push(`dangerous: ${s.dangerous.join(', ')}`);
    if (s.error !== undefined) facts.push(`does not parse: ${s.error}`);
    lines.push(`  statement ${i + 1}: ${facts.join(' · ')}`);
  });
  const s = r.subject;
  lines.push(`  judged for ${s.user} [${s.groups.join(', ') || 'no groups'}] on ${s.connection} [${s.tags.join(', ') || 'no tags'}] at ${shortTime(s.at)}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines;
}

function renderPolicy(p: PolicyView): string[] {
  const lines = [
    p.version === null
      ? 'applied     nothing yet (use `warden policy apply -f rules.yaml`)'
      : `applied     version ${p.version} by ${p.updatedBy ?? '?'} at ${shortTime(p.updatedAt)}`,
  ];
  if (p.problem !== null) lines.push(`PROBLEM     ${p.problem}`, '            (every request is blocked until a fixed file is applied)');
  const rows = [...p.config.map((r) => ['config', r] as const), ...p.stored.map((r) => ['applied', r] as const)].map(([source, r]) => [
    String(r.id),
    source,
    String(r.effect),
    matchSummary(r.match),
  ]);
  lines.push('', rows.length === 0 ? 'no rules: the connection defaults decide' : table(['ID', 'SOURCE', 'EFFECT', 'MATCH'], rows));
  lines.push('', 'What no rule covers falls to the connection default (shipped: reads pass, writes need review, destructive and unknown statements are blocked).');
  return lines;
}

/** `tags=prod kinds=DeleteStmt,UpdateStmt` */
function matchSummary(match: unknown): string {
  if (match === null || typeof match !== 'object') return 'anything';
  const parts = Object.entries(match as Record<string, unknown>).map(([k, v]) => {
    if (Array.isArray(v)) return `${k}=${v.join(',')}`;
    if (v !== null && typeof v === 'object') return `${k}=${Object.values(v).map((x) => (Array.isArray(x) ? x.join(',') : String(x))).join(' ')}`;
    return `${k}=${String(v)}`;
  });
  return parts.length === 0 ? 'anything' : parts.join(' ');
}
