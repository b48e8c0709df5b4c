/**
 * The gateway's end of the agent tunnel. Targets inside private networks
 * accept no inbound connections; an agent there dials out to the gateway over
 * WebSocket (on the API listener: ordinary HTTPS that corporate proxies pass),
 * and every session to those targets rides that one link as its own
 * flow-controlled stream. The agent's end is `src/agent/`.
 */
export { coalesceWrites } from './coalesce.ts';
export { createDialer } from './dialer.ts';
export { agentAsker, decodeAuthStep, mysqlScramblePlugins, type AskAgent, type AuthAnswer, type AuthOp, type AuthStep, type MysqlScramblePlugin } from '../transport/agent-auth-steps.ts';
export { decodeFrame, defaultWindowBytes, encodeFrame, frameTypes, maxDataBytes, type Frame, type FrameType, type ReplicaRef } from './frames.ts';
export { Heartbeat } from './heartbeat.ts';
export { Mux, type AuthHandler, type DialHandler } from './mux.ts';
export { connectTarget, SocketSplice } from './splice.ts';
export { AgentRegistry, type AgentLink } from './registry.ts';
export { agentRoutes, AgentView, IssuedAgentToken } from './routes.ts';
export { agentConnectPath, agentFeaturesHeader, attachAgentEndpoint, type AgentEndpointDeps } from './server.ts';
export { TunnelStream } from './stream.ts';
export { encodeWsFrame, linkMaxPayload, linkWire, tapLinkMessages } from './wire.ts';
export { createAgent, verifyAgentToken } from './tokens.ts';
export type { AgentRecord, AgentRepo } from './types.ts';
export { ReplicaDirectory, type ReplicaDirectoryDeps } from './replicas.ts';
export type { ReplicaRecord, ReplicaRepo } from './types.ts';
