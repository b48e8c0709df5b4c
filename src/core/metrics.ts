import { Counter, Gauge, Registry } from 'prom-client';
import { collectFrom, registerTalliedHistogram, Tallies, type ProtocolTally } from './metrics-tally.ts';

/**
 * The gateway's Prometheus metrics, on a registry of its own (no global
 * default registry, so several gateways can live in one test process).
 */
export function createMetrics() {
  const registry = new Registry();
  const labelNames = ['protocol'] as const;
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  // Per-statement and per-chunk counts go to plain fields (`tally(protocol)`), read at scrape time.
  const tallies = new Tallies(buckets);
  registerTalliedHistogram(registry, tallies, { name: 'warden_statement_duration_seconds', help: 'Time from a statement reaching the target to its completion', buckets });
  return {
    registry,
    /** The hot-path counters of one protocol: statements, bytes and statement durations. */
    tally: (protocol: string): ProtocolTally => tallies.of(protocol),
    sessionsOpen: new Gauge({ name: 'warden_sessions_open', help: 'Client sessions currently open', labelNames, registers: [registry] }),
    sessionsTotal: new Counter({ name: 'warden_sessions_total', help: 'Client sessions started', labelNames, registers: [registry] }),
    statements: new Counter({
      name: 'warden_statements_total',
      help: 'Statements relayed to targets',
      labelNames,
      registers: [registry],
      collect: collectFrom(tallies, [{ total: (t) => t.statements, labels: (protocol) => ({ protocol }) }]),
    }),
    bytes: new Counter({
      name: 'warden_bytes_total',
      help: 'Bytes relayed',
      labelNames: ['protocol', 'direction'] as const,
      registers: [registry],
      collect: collectFrom(tallies, [
        { total: (t) => t.bytesFromClient, labels: (protocol) => ({ protocol, direction: 'from_client' }) },
        { total: (t) => t.bytesToClient, labels: (protocol) => ({ protocol, direction: 'to_client' }) },
      ]),
    }),
    errors: new Counter({ name: 'warden_errors_total', help: 'Errors sent to clients, by kind', labelNames: ['protocol', 'kind'] as const, registers: [registry] }),
    /** Recordings shipped to object storage (recording.s3); both stay at zero without it. */
    recordingShippedBytes: new Counter({ name: 'warden_recording_shipped_bytes_total', help: 'Recording bytes shipped to object storage', registers: [registry] }),
    recordingShipFailures: new Counter({ name: 'warden_recording_ship_failures_total', help: 'Recording shipments to object storage that failed (the files stay in the local spool and are tried again)', registers: [registry] }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
