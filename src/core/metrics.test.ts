import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('metrics fed from tallies at scrape time', () => {
  it('counts statements, bytes and durations per protocol, and keeps direct counting working', async () => {
    const m = createMetrics();
    const pg = m.tally('postgres');
    pg.statements += 3;
    pg.observe(0.0004);
    pg.observe(0.003);
    pg.observe(20);
    pg.bytesFromClient += 100;
    pg.bytesToClient += 250;
    m.statements.labels('ssh').inc();
    let text = await m.registry.metrics();
    expect(text).toMatch(/^warden_statements_total\{protocol="postgres"\} 3$/m);
    expect(text).toMatch(/^warden_statements_total\{protocol="ssh"\} 1$/m);
    expect(text).toMatch(/^warden_bytes_total\{protocol="postgres",direction="from_client"\} 100$/m);
    expect(text).toMatch(/^warden_bytes_total\{protocol="postgres",direction="to_client"\} 250$/m);
    expect(text).toMatch(/^# TYPE warden_statement_duration_seconds histogram$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_bucket\{le="0.0005",protocol="postgres"\} 1$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_bucket\{le="0.005",protocol="postgres"\} 2$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_bucket\{le="10",protocol="postgres"\} 2$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_bucket\{le="\+Inf",protocol="postgres"\} 3$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_sum\{protocol="postgres"\} 20.0034$/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_count\{protocol="postgres"\} 3$/m);
    // A second scrape adds only what grew since the first.
    pg.statements++;
    text = await m.registry.metrics();
    expect(text).toMatch(/^warden_statements_total\{protocol="postgres"\} 4$/m);
    expect(text).toMatch(/^warden_bytes_total\{protocol="postgres",direction="to_client"\} 250$/m);
  });
});
