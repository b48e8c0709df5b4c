import { beforeAll, describe, expect, it } from 'vitest';
import { createRowMasker } from '../core/masking/row-masker.ts';
import { lineageOf } from '../core/masking/lineage.ts';
import { createPolicyEngine } from '../core/policy/engine.ts';
import { rulesSchema } from '../core/policy/rules.ts';
import type { PolicyEngine, PolicySubject, Verdict } from '../core/policy/types.ts';
import { createPostgresClassifier } from '../core/sql/classifier.ts';
import { initSql, type PgParser } from '../core/sql/parser.ts';
import { demoDataset } from './fake.ts';
import { demoRules } from './policy.ts';

let pg: PgParser;
let engine: PolicyEngine;
beforeAll(async () => {
  pg = await initSql();
  engine = createPolicyEngine({ rules: demoRules(), classifier: createPostgresClassifier(pg) });
});

const alice: PolicySubject = { user: 'alice', groups: ['analysts'], connection: 'demo', connectionTags: ['demo', 'pii'], at: new Date('2026-01-05T12:00:00Z') };
const reader: PolicySubject = { ...alice, user: 'bob', groups: ['analysts', 'pii-readers'] };
const decide = (s: PolicySubject, text: string): Promise<Verdict> => engine.decide(s, { kind: 'sql', dialect: 'postgres', text });
const data = demoDataset();

/** Runs rows through the masker the relay would build for this verdict and query. */
function masked(v: Verdict, sql: string, columns: string[], rows: (string | null)[][]): (string | null)[][] {
  if (v.effect !== 'mask') return rows;
  const m = createRowMasker({ plan: v.masks, hashKey: 'k', lineage: lineageOf(pg, sql)[0] });
  m.shape(columns.map((name) => ({ name })));
  return rows.map((r) => m.row(r));
}

describe('the demo policy', () => {
  it('is a valid rules list that survives re-validation by the gateway config', () => {
    const rules = demoRules();
    expect(rules.map((r) => r.id)).toEqual([
      'demo:block-destructive',
      'demo:review-delete-update',
      'demo:allow-reads',
      'demo:mask-customer-pii',
      'demo:mask-cards',
      'demo:mask-ticket-text',
    ]);
    // run.ts hands the parsed rules to validateConfig, which parses them again.
    expect(rulesSchema.parse(rules)).toEqual(rules);
  });

  it('blocks DROP and TRUNCATE, even hidden after a read', async () => {
    for (const sql of ['drop table payments', 'TRUNCATE customers CASCADE', 'select 1; drop table support_tickets']) {
      const v = await decide(alice, sql);
      expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'demo:block-destructive' }] });
      if (v.effect === 'block') expect(v.message).toContain('DROP and TRUNCATE are blocked');
    }
    // pii-readers are exempt from masking only, not from the access rules.
    expect((await decide(reader, 'drop table payments')).effect).toBe('block');
  });

  it('sends DELETE and UPDATE (also inside a CTE) to review by warden-admins', async () => {
    for (const sql of ['delete from payments', "update customers set email = 'x@example.com' where id = 1", 'with d as (delete from payments returning *) select count(*) from d']) {
      const v = await decide(alice, sql);
      expect(v).toMatchObject({ effect: 'review', approvers: ['warden-admins'], rules: [{ id: 'demo:review-delete-update' }] });
    }
  });

  it('leaves what it does not cover to the shipped defaults', async () => {
    expect(await decide(alice, 'insert into payments (customer_id) values (1)')).toMatchObject({ effect: 'review', rules: [{ id: 'default:review-write' }] });
    const copy = await decide(alice, "copy (select 1) to program 'id'");
    expect(copy.effect).toBe('block');
    expect(copy.rules.map((r) => r.id)).toContain('default:block-copy-program');
    expect(await decide(alice, 'select 1')).toMatchObject({ effect: 'allow', rules: [{ id: 'demo:allow-reads' }] });
  });

  it("masks customers' PII columns for analysts, by name, and only those", async () => {
    const sql = 'select * from customers';
    const v = await decide(alice, sql);
    expect(v.effect).toBe('mask');
    const c = data.customers[0]!;
    const cols = ['id', 'full_name', 'email', 'phone', 'national_id', 'iban', 'date_of_birth', 'address'];
    const [row] = masked(v, sql, cols, [[String(c.id), c.fullName, c.email, c.phone, c.nationalId, c.iban, c.dateOfBirth, c.address]]);
    expect(row![0]).toBe(String(c.id));
    expect(row![1]).toBe(c.fullName);
    expect(row![2]).toMatch(/^h:[0-9a-f]{16}$/);
    expect(row![3]).toBe(`****${c.phone.slice(-4)}`);
    expect(row![4]).toBe('****');
    expect(row![5]).toBe(`****${c.iban.slice(-4)}`);
    expect(row![6]).toBe('****');
  });

  it('keeps the last 4 digits of card numbers, and the detectors catch them in expressions', async () => {
    const p = data.payments[0]!;
    const sql = 'select card_number, amount, reverse(reverse(card_number)) as c2 from payments';
    const [row] = masked(await decide(alice, sql), sql, ['card_number', 'amount', 'c2'], [[p.cardNumber, p.amount, p.cardNumber]]);
    expect(row).toEqual([`****${p.cardNumber.slice(-4)}`, p.amount, `****${p.cardNumber.slice(-4)}`]);
    const concat = "select 'card ' || card_number as note from payments";
    const [n] = masked(await decide(alice, concat), concat, ['note'], [[`card ${p.cardNumber}`]]);
    expect(n![0]).not.toContain(p.cardNumber);
  });

  it('runs support ticket text through the content detectors', async () => {
    const leaky = data.supportTickets.filter((t) => data.customers.some((c) => t.body.includes(c.email) || t.body.includes(c.phone)));
    expect(leaky.length).toBeGreaterThan(0);
    const sql = 'select body from support_tickets';
    const v = await decide(alice, sql);
    const out = masked(v, sql, ['body'], leaky.map((t) => [t.body]));
    for (const [body] of out) for (const c of data.customers) expect(body).not.toContain(c.email);
  });

  it('exempts pii-readers and says so in the plan', async () => {
    const v = await decide(reader, 'select email from customers');
    expect(v.effect).toBe('mask');
    if (v.effect !== 'mask') return;
    expect(v.masks.columns).toEqual([]);
    expect(v.masks.detectors).toEqual([]);
    expect(v.masks.exempted).toEqual([{ rule: 'demo:mask-customer-pii', group: 'pii-readers' }]);
  });
});
