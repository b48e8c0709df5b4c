import { createHmac } from 'node:crypto';
import type { MaskStrategy } from './types.ts';

/** Strictest first: when several rules cover a column, the one hiding most wins. */
export const strategyOrder: readonly MaskStrategy[] = ['null', 'redact', 'hash', 'partial'];

export const stricter = (a: MaskStrategy, b: MaskStrategy): MaskStrategy => (strategyOrder.indexOf(a) <= strategyOrder.indexOf(b) ? a : b);

/** What `strategy` shows for any value, when that does not depend on the value (redact, null); undefined when it does. */
export function fixedOutput(strategy: MaskStrategy): string | null | undefined {
  return strategy === 'redact' || strategy === 'null' ? applyStrategy(strategy, '', '') : undefined;
}

/**
 * Masks one value. `hash` is HMAC-SHA256 with the installation key, truncated
 * to 16 hex digits and prefixed, so equal values still join and group while
 * the raw value cannot be recovered without the key.
 */
export function applyStrategy(strategy: MaskStrategy, value: string, key: Uint8Array | string): string | null {
  switch (strategy) {
    case 'null':
      return null;
    case 'redact':
      return '****';
    case 'partial':
      return value.length > 4 ? `****${value.slice(-4)}` : '****';
    case 'hash':
      return `h:${createHmac('sha256', key).update(value).digest('hex').slice(0, 16)}`;
  }
}
