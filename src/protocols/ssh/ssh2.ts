import { createRequire } from 'node:module';
import { RandomPool, type RandomFill } from './random-pool.ts';

/**
 * ssh2 as the gateway runs it: loaded with the random bytes its packets are
 * padded with drawn from a RandomPool instead of one `crypto.randomFillSync`
 * call per packet. Every module of the gateway takes ssh2 from here.
 *
 * Why: ssh2 pads every packet it sends with 4–255 random bytes, each time
 * through its own `randomFillSync` call (~2 µs here). An scp of 200 MB
 * through the gateway sends ~20,000 packets, whose padding cost ~0.05 s of
 * the gateway's ~0.63 s of CPU; drawn from the pool, bench/ssh-ab.sh
 * measured 1.03× the throughput (interval 1.01–1.06 over 16 rounds). The
 * bytes stay CSPRNG output, each used once. What else ssh2 draws through the
 * same function: the 16-byte KEXINIT cookies (sent in the clear anyway) and
 * X11 cookies (the gateway refuses X11); its keys come from other calls.
 *
 * How: ssh2's modules take `randomFillSync` out of `crypto` when they load
 * (`const { randomFillSync } = require('crypto')`), so the pool's `fill` is
 * put on `crypto` only while ssh2 is required here, and the original is back
 * before anything else runs: no other code in the process sees the pool. An
 * ssh2 loaded before this module (another module required it first) keeps
 * the original: slower, not different.
 */
const require = createRequire(import.meta.url);
const crypto = require('node:crypto') as { randomFillSync: RandomFill };

/** The pool ssh2's padding comes from (its `served` count says that it does). */
export const paddingPool: RandomPool = new RandomPool(crypto.randomFillSync);

function load(): typeof import('ssh2') {
  const original = crypto.randomFillSync;
  crypto.randomFillSync = (buf, offset, size) => paddingPool.fill(buf, offset, size);
  try {
    return require('ssh2') as typeof import('ssh2');
  } finally {
    crypto.randomFillSync = original;
  }
}

export const ssh2 = load();

/** Whether ssh2 loaded its native crypto binding (built by its install script; optional). */
export const sshBindingLoaded: boolean = (() => {
  try {
    // ssh2 has no public flag for it; its crypto module's own is read (the package has no exports map). Any failure: not loaded.
    return (require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: unknown }).bindingAvailable === true;
  } catch {
    return false;
  }
})();
