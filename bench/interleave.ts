// Interleaved A/B rounds for the in-process relay benches (bench/mysql-relay-cpu.ts, bench/pg-relay-ab.ts):
// each side (a checkout root's relay) gets `warmup` unmeasured units, then `rounds` rounds of
// `perRound` units each, the sides' turns alternating in order, so load and GC drift hit all alike.

/** This process's CPU µs per unit, per side and round. `send(side, count)` runs `count` units on `side`. */
export async function interleavedCpu(sides: number, send: (side: number, count: number) => Promise<void>, o: { warmup: number; rounds: number; perRound: number }): Promise<number[][]> {
  for (let i = 0; i < sides; i++) await send(i, o.warmup);
  const results = Array.from({ length: sides }, () => [] as number[]);
  for (let r = 0; r < o.rounds; r++) {
    const order = results.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const before = process.cpuUsage();
      await send(i, o.perRound);
      const used = process.cpuUsage(before);
      results[i]!.push((used.user + used.system) / o.perRound);
    }
  }
  return results;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Prints each side's median and rounds (A, B, …) and, for two sides, the median of B - A and the rounds B won. */
export function printAb(what: string, unit: string, results: number[][], roots: readonly string[]): void {
  const label = (i: number) => String.fromCharCode(65 + i);
  for (const [i, r] of results.entries()) console.log(`${what} ${label(i)}: median ${median(r).toFixed(2)} ${unit}, rounds ${r.map((x) => x.toFixed(2)).join(' ')} (${roots[i]})`);
  if (results.length !== 2) return;
  const [a, b] = results as [number[], number[]];
  const diffs = b.map((x, r) => x - a[r]!);
  const m = median(diffs);
  console.log(`${what} B - A: median ${m >= 0 ? '+' : ''}${m.toFixed(2)} ${unit}, B lower in ${diffs.filter((d) => d < 0).length} of ${diffs.length} rounds`);
}
