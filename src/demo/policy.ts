import { loadRulesYaml } from '../core/policy/load.ts';
import type { Rule } from '../core/policy/rules.ts';

/**
 * The demo's policy, as a rules file an administrator would write. It is the
 * worked example in docs/policy.md (a test keeps the two identical), so what
 * the demo shows is exactly what the documentation explains.
 *
 * - Everything masks for every user except members of `pii-readers`; alice is
 *   in `analysts`, so she sees masked values.
 * - Customer PII is masked by column name (so `select *` masks only the PII
 *   columns) with the content detectors as a backstop for expressions the
 *   names cannot see (`row_to_json(c)`); card numbers keep their last 4
 *   digits; support tickets' free text goes through the detectors.
 * - DROP/TRUNCATE are blocked; DELETE/UPDATE need review in queue mode: the
 *   statement is refused with a review id, a Warden admin approves it, and
 *   the same statement then runs once; reads are allowed.
 * Anything these rules do not cover falls to the shipped defaults.
 */
export const demoRulesYaml = `rules:
  - id: demo:block-destructive
    description: the demo data cannot be dropped or emptied
    match: { kinds: [DropStmt, TruncateStmt] }
    effect: block
    message: DROP and TRUNCATE are blocked on the demo database

  - id: demo:review-delete-update
    description: changing or deleting rows needs a second pair of eyes
    match: { kinds: [DeleteStmt, UpdateStmt] }
    effect: review
    approvers: [warden-admins]
    review: { mode: queue, approvalWindowMinutes: 30 }
    message: DELETE and UPDATE need an approval from a Warden admin

  - id: demo:allow-reads
    match: { classes: [read] }
    effect: allow

  - id: demo:mask-customer-pii
    description: personal data of customers, by column name, detectors as a backstop
    match: { tags: [pii], tables: ['*.customers'] }
    effect: mask
    mask:
      columns:
        - { name: email, strategy: hash }
        - { name: phone, strategy: partial }
        - { name: national_id, strategy: redact }
        - { name: iban, strategy: partial }
        - { name: date_of_birth, strategy: redact }
      detectors: all
      detectorStrategy: redact
      exemptGroups: [pii-readers]

  - id: demo:mask-cards
    description: card numbers keep their last 4 digits
    match: { tags: [pii], tables: ['*.payments'] }
    effect: mask
    mask:
      columns:
        - { name: card_number, strategy: partial }
      detectors: [card]
      detectorStrategy: partial
      exemptGroups: [pii-readers]

  - id: demo:mask-ticket-text
    description: customers paste cards, emails and phone numbers into tickets
    match: { tags: [pii], tables: ['*.support_tickets'] }
    effect: mask
    mask:
      detectors: all
      exemptGroups: [pii-readers]
`;

/** The demo's rules, parsed and validated (throws on a bad rule, as a rules file would). */
export function demoRules(): Rule[] {
  return loadRulesYaml(demoRulesYaml, 'demo policy');
}
