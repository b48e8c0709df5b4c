import { randomBytes } from 'node:crypto';

/** Short, sortable-enough, URL-safe ids with a readable prefix (`ses_…`, `usr_…`). */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomBytes(6).toString('hex')}`;
}
