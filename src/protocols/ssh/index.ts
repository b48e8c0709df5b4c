/**
 * The SSH protocol: lets unmodified OpenSSH clients reach SSH targets through
 * Warden — `ssh -p 2222 <user>@<connection>@gateway` with the Warden token as
 * password — with each exec judged by policy and recorded, and interactive
 * shells recorded as asciicast. The gateway logs into the target with the
 * vaulted credential and pins the target's host key on first use.
 */
import type { Protocol } from '../../core/protocol.ts';
import { loadOrCreateHostKey } from './host-key.ts';
import { TargetHostPins } from './host-pins.ts';
import { runSession } from './session.ts';

export function createSshProtocol(opts: { dataDir: string }): Protocol {
  // Host key and pins live as long as this protocol object: one per gateway, never module-global.
  const deps = { hostKey: loadOrCreateHostKey(opts.dataDir), pins: new TargetHostPins(opts.dataDir) };
  return {
    name: 'ssh',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, deps),
  };
}
