import type { Command } from 'commander';

/** `warden demo`: placeholder until the demo wiring lands (the lead owns this file). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a self-contained demo: an embedded PostgreSQL with fake PII, a user, a token and the gateway')
    .action(() => {
      process.stderr.write('warden: `warden demo` is not available yet\n');
      process.exitCode = 1;
    });
}
