import type { PolicySnapshot } from '../../core/policy/service.ts';
import type { PolicySubject, Verdict } from '../../core/policy/types.ts';
import type { CoreServices } from '../../core/services.ts';
import type { StatementInfo } from '../../core/sql/types.ts';
import { caller } from '../auth.ts';
import { AppliedPolicy, ApplyPolicy, ErrorView, PolicyTest, PolicyTestResult, PolicyView } from '../schemas.ts';
import type { Api } from '../types.ts';

/** Media types a rules file may be sent as, besides JSON `{ yaml }` and text/plain. */
const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * The policy rules as data: read them (admins and auditors), replace the
 * applied rules file (admins), and dry-run a statement to see the verdict and
 * the rules that decided (admins and auditors).
 */
export function policyRoutes(app: Api, core: CoreServices): void {
  const tags = ['policy'];
  for (const type of yamlTypes) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  app.get(
    '/api/v1/policy',
    { config: { access: 'read' }, schema: { tags, summary: 'The rules in force: from the configuration and applied through the API', response: { 200: PolicyView } } },
    async () => policyView(core.policyService.current()),
  );

  app.put(
    '/api/v1/policy',
    {
      config: { audit: 'policy.applied' },
      schema: {
        tags,
        summary: 'Replace the applied rules with a rules file (YAML); a bad file is rejected whole with its line and reason',
        body: ApplyPolicy,
        response: { 200: AppliedPolicy, 400: ErrorView },
      },
    },
    async (req) => {
      const yaml = typeof req.body === 'string' ? req.body : req.body.yaml;
      const by = caller(req).user.name;
      const applied = await core.policyService.apply(yaml, by);
      core.log.info({ by, ...applied }, 'policy rules applied');
      return applied;
    },
  );

  app.post(
    '/api/v1/policy/test',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Dry-run a SQL text for a user on a connection: the verdict, the rules that decided, and how it was classified',
        body: PolicyTest,
        response: { 200: PolicyTestResult, 400: ErrorView },
      },
    },
    async (req) => {
      const { subject, notes } = await resolveSubject(core, req.body);
      const verdict = await core.policyService.test(subject, req.body.sql, req.body.yaml);
      return testView(verdict, subject, notes);
    },
  );
}

/** The user's groups and the connection's tags from the store, unless the request replaces them. */
async function resolveSubject(core: CoreServices, body: PolicyTest): Promise<{ subject: PolicySubject; notes: string[] }> {
  const notes: string[] = [];
  const [user, connection] = await Promise.all([core.users.byName(body.user), core.connections.byName(body.connection)]);
  if (user === undefined) notes.push(`no Warden user named ${body.user}: tested with ${body.groups === undefined ? 'no groups' : 'the groups given'}`);
  else if (body.groups !== undefined) notes.push(`the groups given replace ${user.name}'s own (${user.groups.join(', ') || 'none'})`);
  if (user?.disabledAt) notes.push(`user ${user.name} is disabled: the gateway would refuse the session before any statement`);
  if (connection === undefined) notes.push(`no connection named ${body.connection}: tested with ${body.tags === undefined ? 'no tags' : 'the tags given'}`);
  else if (body.tags !== undefined) notes.push(`the tags given replace ${connection.name}'s own (${connection.tags.join(', ') || 'none'})`);
  const subject: PolicySubject = {
    user: body.user,
    groups: body.groups ?? user?.groups ?? [],
    connection: body.connection,
    connectionTags: body.tags ?? connection?.tags ?? [],
    at: body.at === undefined ? core.clock.now() : new Date(body.at),
  };
  return { subject, notes };
}

function policyView(s: PolicySnapshot): PolicyView {
  return {
    config: s.config,
    stored: s.stored,
    yaml: s.yaml ?? null,
    version: s.version ?? null,
    updatedAt: s.updatedAt?.toISOString() ?? null,
    updatedBy: s.updatedBy ?? null,
    problem: s.problem ?? null,
  };
}

function testView(v: Verdict, s: PolicySubject, notes: string[]): PolicyTestResult {
  return {
    effect: v.effect,
    rules: v.rules,
    ...(v.effect === 'block' || v.effect === 'review' ? { message: v.message } : {}),
    ...(v.effect === 'review' ? { approvers: v.approvers } : {}),
    ...(v.effect === 'mask' ? { masks: v.masks } : {}),
    statements: (v.statements ?? []).map(statementView),
    subject: { user: s.user, groups: s.groups, connection: s.connection, tags: s.connectionTags, at: s.at.toISOString() },
    notes,
  };
}

const statementView = (st: StatementInfo): PolicyTestResult['statements'][number] => ({
  class: st.class,
  kind: st.kind,
  kinds: [...st.kinds],
  tables: st.tables.map((t) => (t.schema === undefined ? t.name : `${t.schema}.${t.name}`)),
  functions: [...st.functions],
  dangerous: [...st.dangerous],
  withoutWhere: st.updateOrDeleteWithoutWhere,
  reasons: [...st.reasons],
  ...(st.error === undefined ? {} : { error: st.error }),
});
