import type { SessionView } from '../api/schemas.ts';
import type { FileEvent, ForwardEvent, RecordingEvent, StatementEvent } from '../core/recording/types.ts';
import { shortTime, table } from './output.ts';

/** Human rendering of a session and its recording for `warden sessions show`. */
export function renderSession(s: SessionView): string[] {
  const ended = s.live ? 'still open' : s.endedAt ? `${shortTime(s.endedAt)} (${s.endReason ?? 'unknown'})` : 'not recorded (gateway stopped?)';
  return [
    `session     ${s.id}`,
    `user        ${s.userName}`,
    `connection  ${s.connectionName} (${s.protocol}) from ${s.clientAddress}`,
    `started     ${shortTime(s.startedAt)}`,
    `ended       ${ended}`,
    `traffic     ${bytes(s.bytesFromClient)} from client, ${bytes(s.bytesToClient)} to client, ${s.statements} statements`,
  ];
}

export function renderEvent(e: RecordingEvent, maxRows: number): string[] {
  switch (e.type) {
    case 'statement':
      return renderStatement(e, maxRows);
    case 'file':
      return renderFile(e);
    case 'forward':
      return renderForward(e);
    case 'notice':
      return [`${shortTime(e.at)}  notice: ${e.message}`];
    case 'session_end':
      return [`${shortTime(e.at)}  session ended: ${e.reason}`];
    case 'session_start':
      return [];
  }
}

function renderStatement(e: StatementEvent, maxRows: number): string[] {
  const facts = [`${e.durationMs.toFixed(1)} ms`, e.commandTag, `${e.rowCount} row${e.rowCount === 1 ? '' : 's'}`];
  if (e.verdict && e.verdict.effect !== 'allow') facts.push(`${e.verdict.effect} by ${e.verdict.rules.join(', ') || 'policy'}`);
  if (e.uncertain !== undefined) facts.push(`typed line not fully seen: ${e.uncertain}`);
  const lines = [`${shortTime(e.at)}  #${e.seq}  ${e.text.trim()}`, `    ${facts.filter(Boolean).join(' · ')}`];
  if (e.params && e.params.length > 0) lines.push(`    params: ${e.params.map((p) => (p === null ? 'NULL' : JSON.stringify(p))).join(', ')}`);
  if (e.upload) lines.push(`    uploaded ${e.upload.name === undefined ? '' : `${e.upload.name} · `}${bytes(e.upload.bytes)} · sha256 ${e.upload.sha256}`);
  if (e.columns && e.rows && e.rows.length > 0) {
    const shown = e.rows.slice(0, maxRows).map((r) => r.map((v) => (v === null ? 'NULL' : clip(v))));
    lines.push(...table(e.columns, shown).split('\n').map((l) => `    ${l}`));
    const more = e.rowCount - shown.length;
    if (more > 0) lines.push(`    … ${more} more row${more === 1 ? '' : 's'}${e.rowsTruncated ? ` (${e.rows.length} recorded)` : ''}`);
  }
  if (e.error) lines.push(`    ERROR ${e.error.code}: ${e.error.message}`);
  return lines;
}

function renderFile(e: FileEvent): string[] {
  const what = `${e.via} ${e.op} ${e.path}${e.to === undefined ? '' : ` -> ${e.to}`}`;
  const facts = [e.bytes === undefined ? undefined : bytes(e.bytes), e.sha256 === undefined ? (e.sequential === false ? 'not sequential, no hash' : undefined) : `sha256 ${e.sha256}`];
  if (e.verdict.effect !== 'allow') facts.push(`${e.verdict.effect} by ${e.verdict.rules.join(', ') || 'policy'}`);
  const lines = [`${shortTime(e.at)}  #${e.seq}  ${what}`];
  if (facts.some(Boolean)) lines.push(`    ${facts.filter(Boolean).join(' · ')}`);
  if (e.error) lines.push(`    ERROR ${e.error.code}: ${e.error.message}`);
  return lines;
}

function renderForward(e: ForwardEvent): string[] {
  const flag = e.kind === 'local' ? '-L' : e.kind === 'remote' ? '-R' : '-A';
  const facts = e.error ? [`${e.verdict.effect} by ${e.verdict.rules.join(', ') || 'gateway'}`] : [`${bytes(e.bytesFromClient)} from client, ${bytes(e.bytesToClient)} to client`, `${(e.durationMs / 1000).toFixed(1)} s`];
  const lines = [`${shortTime(e.at)}  #${e.seq}  forward ${flag} ${e.destination}`, `    ${facts.join(' · ')}`];
  if (e.error) lines.push(`    ERROR ${e.error.code}: ${e.error.message}`);
  return lines;
}

const clip = (v: string) => (v.length > 40 ? `${v.slice(0, 39)}…` : v);

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
