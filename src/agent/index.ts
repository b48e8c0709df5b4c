/**
 * `warden agent`: runs inside a private network, dials OUT to the gateway
 * (nothing listens here), and opens TCP to targets the gateway asks for —
 * only those in its own allowlist. It carries bytes; it has no protocol logic.
 * The gateway's end of the link is `src/tunnel/`.
 */
export { Allowlist } from './allowlist.ts';
export { backoffDelay } from './backoff.ts';
export { agentSettings, type AgentFlags, type AgentSettings } from './config.ts';
export { credentialsHandler } from './credentials-handler.ts';
export { fingerprint, parsePin } from './pin.ts';
export { connectUrl, runAgent, type AgentOptions, type RunningAgent } from './run.ts';
