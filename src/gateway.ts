import type { WardenConfig } from './config/schema.ts';
import type { CoreServices } from './core/services.ts';

/** A running gateway: its services, where it listens, and how to stop it. */
export interface GatewayHandle {
  core: CoreServices;
  /** Actual bound addresses (ports resolved when the config asked for 0). */
  addresses: { postgres?: { host: string; port: number }; api?: { host: string; port: number } };
  /** Stops listeners, ends live sessions, flushes recordings, closes the store. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Printed once when the store is new: the bootstrap admin token. */
  onBootstrapToken?(token: string): void;
}

/** Starts a gateway from a validated config. Implemented by the wiring work. */
export async function startGateway(_config: WardenConfig, _opts: GatewayOptions = {}): Promise<GatewayHandle> {
  throw new Error('not wired yet');
}
