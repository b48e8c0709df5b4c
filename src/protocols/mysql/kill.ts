import type { MysqlClassifier } from '../../core/sql/mysql/index.ts';
import { scanMysql } from '../../core/sql/mysql/index.ts';

/**
 * `KILL [HARD|SOFT] [QUERY|CONNECTION] <id>` as clients send it through the
 * gateway. The id a client knows is the gateway's (its handshake's
 * connection id), never the target's: the statement is intercepted before
 * policy and mapped (see kill-handler.ts), so it never reaches the target as
 * written.
 *
 * Recognition uses the MySQL classifier (kind `KillStmt`); the id comes from
 * a minimal parse of the statement's code as the classifier's scanner reads
 * it (comments removed, executable comments unwrapped), because the
 * classifier does not expose it.
 */
export type KillRequest =
  | { ok: true; scope: 'query' | 'connection'; id: number }
  /** A KILL the gateway cannot map (KILL QUERY ID, KILL USER, an expression, several statements): refused. */
  | { ok: false; reason: string };

const simpleKill = /^\s*kill\s+(?:(?:hard|soft)\s+)?(?:(query|connection)\s+)?(\d{1,10})\s*$/i;

/**
 * `undefined` when `text` holds no KILL at all (the common case, decided
 * without classifying: every KILL statement spells the keyword).
 */
export function parseKill(classifier: MysqlClassifier, text: string): KillRequest | undefined {
  if (!/kill/i.test(text)) return undefined;
  const infos = classifier.classify(text);
  if (!infos.some((i) => i.kind === 'KillStmt' || i.kinds.includes('KillStmt'))) return undefined;
  // fail closed: from here on the text is a KILL; anything but one plain, mappable KILL is refused, never forwarded.
  const scan = scanMysql(text, { backslashEscapes: true });
  const pieces = scan.pieces.filter((p) => p.code.trim() !== '');
  if (infos.length !== 1 || pieces.length !== 1) return { ok: false, reason: 'send KILL alone, not with other statements' };
  const piece = pieces[0]!;
  if (piece.unterminated || piece.code !== piece.codeWithoutConditional) return { ok: false, reason: 'write KILL without versioned comments' };
  const m = simpleKill.exec(piece.code);
  if (!m) return { ok: false, reason: 'only KILL [QUERY|CONNECTION] <connection id> is supported through Warden' };
  const id = Number(m[2]);
  if (id > 0xffffffff) return { ok: false, reason: 'connection ids are 32-bit numbers' };
  return { ok: true, scope: m[1]?.toLowerCase() === 'query' ? 'query' : 'connection', id };
}
