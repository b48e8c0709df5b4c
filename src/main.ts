/**
 * Entry point of the `warden` command (bin/warden.mjs imports this file).
 * Builds the command tree and runs it; errors end as one line on stderr.
 */
import { registerDemo } from './cli/demo.ts';
import { reportError } from './cli/output.ts';
import { buildProgram } from './cli/program.ts';

try {
  await buildProgram(registerDemo).parseAsync(process.argv);
} catch (err) {
  reportError(err);
  process.exitCode = 1;
}
