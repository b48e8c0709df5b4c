import type { Counter, Metric, MetricValueWithName, Registry } from 'prom-client';

/**
 * What each statement and each relayed chunk adds to the metrics, kept in
 * plain fields per protocol: prom-client's own `inc`/`observe` hash their
 * labels and allocate on every call, which is measurable per statement. The
 * counters take these totals at scrape time (their `collect`), and the
 * statement-duration histogram is read from them directly.
 */
export class ProtocolTally {
  statements = 0;
  bytesFromClient = 0;
  bytesToClient = 0;
  /** Statement durations: count per bucket (the last one is +Inf), their sum and count. */
  readonly buckets: Float64Array;
  seconds = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.buckets[i]!++;
    this.seconds += seconds;
  }
}

/** The tallies of all protocols; one per gateway (the metrics own it). */
export class Tallies {
  readonly #bounds: readonly number[];
  readonly byProtocol = new Map<string, ProtocolTally>();

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  of(protocol: string): ProtocolTally {
    let t = this.byProtocol.get(protocol);
    if (t === undefined) this.byProtocol.set(protocol, (t = new ProtocolTally(this.#bounds)));
    return t;
  }
}

/**
 * A `collect` for a counter that adds what `total` grew by since the last
 * scrape (`labels` per protocol), so the counter's own children stay usable
 * for callers that count directly.
 */
export function collectFrom(tallies: Tallies, parts: { total: (t: ProtocolTally) => number; labels: (protocol: string) => Record<string, string> }[]) {
  const reported = new Map<string, number>();
  return function (this: Counter<string>): void {
    for (const [protocol, t] of tallies.byProtocol) {
      parts.forEach((p, i) => {
        const key = `${i}\u0000${protocol}`;
        const now = p.total(t);
        const delta = now - (reported.get(key) ?? 0);
        if (delta > 0) this.inc(p.labels(protocol), delta);
        reported.set(key, now);
      });
    }
  };
}

/** A histogram by protocol, read from the tallies at scrape time; registered like any prom-client metric. */
export function registerTalliedHistogram(registry: Registry, tallies: Tallies, opts: { name: string; help: string; buckets: readonly number[] }): void {
  const { name, help, buckets } = opts;
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    // The shape prom-client's registry reads from any metric (what its own Histogram.get returns).
    get: async () => {
      const values: MetricValueWithName<string>[] = [];
      for (const [protocol, t] of tallies.byProtocol) {
        let cumulative = 0;
        buckets.forEach((le, i) => {
          cumulative += t.buckets[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le, protocol }, value: cumulative });
        });
        cumulative += t.buckets[buckets.length]!;
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', protocol }, value: cumulative });
        values.push({ metricName: `${name}_sum`, labels: { protocol }, value: t.seconds });
        values.push({ metricName: `${name}_count`, labels: { protocol }, value: cumulative });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}
