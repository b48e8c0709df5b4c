#!/usr/bin/env node
// How sure an interleaved bench's ratio is: from each round's pair of throughputs (the measured
// target's and its baseline's, slices of equal length), the ratio of the totals and a 90 %
// interval for it by resampling the rounds (percentile bootstrap, 10,000 resamples, a fixed seed
// so the same rounds print the same interval), and what that says of a target:
//   met        the whole interval is at or above it;
//   not met    the whole interval is below it;
//   undecided  the interval straddles it: on this machine, at this noise, the rounds cannot tell
//              (and always with fewer than 4 rounds).
// The rounds' spread on a shared 2-core VM is often ±15 % and moves from session to session; this
// line says whether a run's ratio is a finding or the noise.
//
// Usage: node bench/ratio-interval.mjs TARGET A1:B1 A2:B2 …   (Ai, Bi: round i's TPS of the measured, the baseline)
// Prints one line: `R (90 % interval L–U over N rounds): met|not met|undecided at ≥ TARGET`.
// Plain JS, no dependencies, as the other bench helpers.
const [targetArg, ...pairs] = process.argv.slice(2);
const target = Number(targetArg);
const rounds = pairs.map((p) => p.split(':').map(Number)).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > 0);
if (!Number.isFinite(target) || rounds.length === 0) {
  console.log('n/a (no rounds)');
  process.exit(0);
}

const ratioOf = (rs) => rs.reduce((s, [a]) => s + a, 0) / rs.reduce((s, [, b]) => s + b, 0);

// A small fixed-seed generator (mulberry32): the interval is a function of the rounds alone.
let seed = 0x5eed;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const resamples = 10_000;
const ratios = new Float64Array(resamples);
for (let i = 0; i < resamples; i++) {
  const pick = Array.from({ length: rounds.length }, () => rounds[Math.floor(random() * rounds.length)]);
  ratios[i] = ratioOf(pick);
}
ratios.sort();
const low = ratios[Math.floor(0.05 * resamples)];
const high = ratios[Math.ceil(0.95 * resamples) - 1];
// A bootstrap of two or three rounds sees too few of them to be believed: no verdict then.
const verdict = rounds.length < 4 ? 'undecided (fewer than 4 rounds)' : low >= target ? 'met' : high < target ? 'not met' : 'undecided';
console.log(`${ratioOf(rounds).toFixed(2)} (90 % interval ${low.toFixed(2)}–${high.toFixed(2)} over ${rounds.length} rounds): ${verdict} at ≥ ${target}`);
