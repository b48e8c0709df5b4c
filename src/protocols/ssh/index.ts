/**
 * The SSH protocol: lets unmodified OpenSSH clients reach SSH targets through
 * Warden — `ssh -p 2222 <user>@<connection>@gateway` with a registered SSH key
 * or the Warden token as password — with each exec judged by policy and recorded, interactive
 * shells judged on opening and line by line as typed (shell-guard.ts) and
 * recorded as asciicast, and file transfers (SFTP, scp, scp -O)
 * judged and recorded operation by operation. The gateway logs into the target with the
 * vaulted password or private key, checks the target's host key against the
 * connection's configured keys or pins it on first use, and relays `-L`
 * forwards that policy allows (forwarding.ts).
 */
import type { Protocol } from '../../core/protocol.ts';
import { widenHeapGrowth } from './heap-growth.ts';
import { loadOrCreateHostKey } from './host-key.ts';
import { TargetHostPins } from './host-pins.ts';
import { runSession } from './session.ts';

export function createSshProtocol(opts: { dataDir: string }): Protocol {
  // Bulk transfers would otherwise drive V8 into back-to-back mark-compacts (heap-growth.ts).
  widenHeapGrowth();
  // Host key and pins live as long as this protocol object: one per gateway, never module-global.
  const deps = { hostKey: loadOrCreateHostKey(opts.dataDir), pins: new TargetHostPins(opts.dataDir) };
  return {
    name: 'ssh',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, deps),
  };
}
