/**
 * The vault keeps target credentials sealed at rest (AES-256-GCM under one
 * master key) and opens them only at the moment the gateway dials a target.
 * Credentials flow one way: from here to the target, never to a client or the API.
 */
export { createVault, keyIdOf, sealedKeyId, masterKeyBytes } from './seal.ts';
export { loadMasterKey, parseMasterKey } from './key.ts';
export { rotateMasterKey } from './rotate.ts';
export type { Vault } from './types.ts';
