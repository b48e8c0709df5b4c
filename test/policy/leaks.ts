import { createDetectors } from '../../src/core/masking/detectors.ts';
import { detectorNames } from '../../src/core/masking/types.ts';

/**
 * Finding raw fixture values in what a client received, however they were
 * dressed up: case, separators, reversal, hex or base64, or split across the
 * columns of a row (the row is also read as one string). Independent of the
 * masker under test except for a second opinion from the shipped detectors.
 */
export interface Secrets {
  emails: string[];
  cards: string[];
  ssns: string[];
  ibans: string[];
}

const digits = (s: string) => s.replace(/\D/g, '');
const alnumUpper = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
const reverse = (s: string) => [...s].reverse().join('');

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The cell itself plus what it decodes to when it looks like hex (`\x…`) or base64. */
function decodings(text: string): string[] {
  const out = [text];
  const hex = /^\\x([0-9a-fA-F]+)$/.exec(text.trim());
  if (hex) out.push(Buffer.from(hex[1]!, 'hex').toString('latin1'));
  const b64 = text.replace(/\s/g, '');
  if (b64.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64)) out.push(Buffer.from(b64, 'base64').toString('latin1'));
  return out;
}

/** Descriptions of every raw value found in `rows` (empty: nothing leaked). */
export function findLeaks(rows: readonly (readonly unknown[])[], secrets: Secrets): string[] {
  const found = new Set<string>();
  const detectors = createDetectors(detectorNames);
  for (const row of rows) {
    const cells = row.map(cellText);
    const forms = [cells.join(''), ...cells.flatMap(decodings)];
    for (const f of [...forms, ...forms.map(reverse)]) {
      const d = digits(f);
      const lower = f.toLowerCase();
      const up = alnumUpper(f);
      for (const c of secrets.cards) if (d.includes(digits(c))) found.add(`card ${c}`);
      for (const s of secrets.ssns) if (d.includes(digits(s))) found.add(`ssn ${s}`);
      for (const e of secrets.emails) if (lower.includes(e.toLowerCase())) found.add(`email ${e}`);
      for (const i of secrets.ibans) if (up.includes(alnumUpper(i))) found.add(`iban ${i}`);
    }
    for (const cell of cells) {
      for (const det of detectors) {
        if (!det.quick(cell)) continue;
        for (const m of cell.match(det.pattern) ?? []) if (det.valid(m)) found.add(`${det.name} detector: ${m}`);
      }
    }
  }
  return [...found];
}

/** Lines of psql/COPY text output as rows of tab-separated cells. */
export const linesAsRows = (out: string): string[][] => out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
