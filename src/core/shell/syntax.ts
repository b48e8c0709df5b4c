import { createRequire } from 'node:module';
import type sh from 'mvdan-sh';

const require = createRequire(import.meta.url);
let loaded: typeof sh.syntax | undefined;

/**
 * mvdan-sh's `syntax` package, loaded at the first shell command rather than with the
 * gateway: the GopherJS build costs ~33 MB of RSS, which a gateway serving no SSH never needs.
 * Synchronous on purpose (a CommonJS require), so classification stays a plain function.
 */
export function syntax(): typeof sh.syntax {
  return (loaded ??= (require('mvdan-sh') as typeof sh).syntax);
}
