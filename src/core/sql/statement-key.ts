import type { ScanResult } from 'libpg-query';
import { KeyTemplates } from './key-template.ts';
import { RecentTexts } from './recent-texts.ts';

/**
 * Texts remembered, gateway-wide. Masking's first question about a statement
 * (the view learning before it is sent) comes right after its classification,
 * with nothing else in between, so two suffice; later questions go through
 * each session's own memos (SessionLineage, ResultMasking), so that other
 * sessions' statements cannot push them out. A larger memo would compare
 * every new text with each remembered one, on every statement (16 pgbench
 * texts: ~0.3 µs). A miss costs one more scan, never a wrong key.
 */
const remembered = 2;

/**
 * The key of PostgreSQL's per-statement caches whose facts do not depend on
 * literal values (classification, masking's lineage): the text with every
 * constant replaced by `$n` by PostgreSQL's own scanner (`normalize`), so
 * `… WHERE aid = 1` and `… WHERE aid = 2` share a key while two texts that
 * differ in anything else — an identifier, a comment, a keyword, spacing —
 * do not. What normalize does: literals of every form (numbers, `'…'`,
 * `E'…'`, `U&'…'`, `B'…'`/`X'…'`, dollar quotes, a leading minus sign)
 * become `$n`, numbered after the text's own highest `$n` parameter, which
 * stays (so `SELECT $1` and `SELECT 1` share a key); `LIMIT ALL` is a
 * constant too; type modifiers (`varchar(10)`) and COPY options stay as
 * written; comments stay.
 *
 * Classification and masking ask for the same statement in turn, so the
 * last texts' keys are kept: one scan per statement. Throws normalize's error for
 * text the parser rejects (the error is kept too) — but libpg-query returns
 * the scanner's own errors (`unterminated quoted string at or near "'a"`)
 * instead of throwing them, so such a text's key is that message. Its
 * consumers therefore never cache what an unparseable text gave (the
 * classification of one is `Unparseable` with that same message whichever
 * text it came from; masking's lineage caches skip them).
 *
 * Given the scanner (`scan`), a text that is a recent shape with other integers
 * in its constants' places gets that shape's key without a scan (key-template.ts:
 * the key is then the same for sure); any other text is normalized.
 */
export function createStatementKeys(normalize: (text: string) => string, scan?: (text: string) => ScanResult): (text: string) => string {
  const memo = new RecentTexts<string | Error>(remembered);
  const templates = scan === undefined ? undefined : new KeyTemplates();
  return (text) => {
    let key = memo.get(text);
    if (key === undefined) {
      key = templates?.match(text);
      if (key === undefined) {
        try {
          key = normalize(text);
        } catch (err) {
          key = err instanceof Error ? err : new Error(String(err));
        }
        if (typeof key === 'string' && scan !== undefined) templates?.learn(text, key, scan);
      }
      memo.set(text, key);
    }
    if (typeof key !== 'string') throw key;
    return key;
  };
}
