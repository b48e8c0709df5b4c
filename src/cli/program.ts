import { Command } from 'commander';
import { registerAgent } from './agent.ts';
import { registerAudit } from './audit.ts';
import { registerConnect } from './connect.ts';
import { registerConnections } from './connections.ts';
import { registerGateway } from './gateway.ts';
import { registerLogin } from './login.ts';
import { registerPolicy } from './policy.ts';
import { registerRequest } from './request.ts';
import { registerReplay } from './replay.ts';
import { registerReviews } from './reviews.ts';
import { registerSessions } from './sessions.ts';
import { registerTokens } from './tokens.ts';
import { registerUsers } from './users.ts';
import { registerVault } from './vault.ts';
import { version } from '../version.ts';


/**
 * The `warden` command tree. `extra` lets the wiring add commands that live
 * elsewhere (e.g. `demo`) without this file importing them.
 */
export function buildProgram(extra?: (program: Command) => void): Command {
  const program = new Command('warden')
    .description('Warden: a Layer-7 access gateway that records, masks, blocks and reviews what people and agents do on your databases')
    .version(version)
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)');
  registerGateway(program);
  extra?.(program);
  registerLogin(program);
  registerUsers(program);
  registerTokens(program);
  registerConnections(program);
  registerConnect(program);
  registerSessions(program);
  registerReplay(program);
  registerPolicy(program);
  registerReviews(program);
  registerAudit(program);
  registerRequest(program);
  registerVault(program);
  registerAgent(program);
  return program;
}
