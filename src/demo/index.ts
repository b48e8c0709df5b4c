/**
 * The demo kit behind `warden demo`: a PostgreSQL-compatible target that needs
 * nothing but Node (PGlite served on a loopback port, in a worker thread) and a
 * deterministic, PII-rich fake schema to point Warden at — customers with emails,
 * phones, SSNs and IBANs; payments with Luhn-valid card numbers; support tickets
 * whose free text leaks some of them. The CLI wires these into the gateway:
 *
 *   const target = await startDemoTarget({ port: 0 });
 *   await seedDemo(target.exec);
 *   // connection: postgres at target.host:target.port, database target.database,
 *   // user target.user, no password … then on Ctrl-C: await target.stop();
 */
export { startDemoTarget, type DemoTarget, type DemoTargetOptions } from './target.ts';
export { seedDemo, seedSql, type SeedCounts, type SqlExec } from './seed.ts';
export { demoDataset, defaultDemoData, type Customer, type Payment, type SupportTicket, type DemoDataset, type DemoDataOptions } from './fake.ts';
export { luhnValid, luhnCheckDigit, ibanValid, makeIban } from './checksums.ts';
