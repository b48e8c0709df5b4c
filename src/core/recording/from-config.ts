import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import { readSecretFile } from '../../config/file.ts';
import type { WardenConfig } from '../../config/schema.ts';
import { WardenError } from '../errors.ts';
import { isLoopbackHost } from '../loopback.ts';
import { createDiskRecordings } from './disk.ts';
import type { PackedDecoders } from './packed.ts';
import type { ShippedOptions } from './shipped.ts';
import type { RecordingStorage } from './types.ts';

/** The configured recording storage, and what the gateway runs when it starts and stops. */
export interface ConfiguredRecordings {
  storage: RecordingStorage;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Local disk, or (with `recording.s3`) local disk shipped to S3-compatible
 * storage. The S3 client is imported only then: a gateway without it does
 * not carry it.
 */
export async function recordingsFromConfig(
  r: WardenConfig['recording'],
  env: NodeJS.ProcessEnv,
  log: Logger,
  counts?: ShippedOptions['counts'],
  /** The HTTP agent for the endpoint (the network's proxy), when it needs one. */
  agentFor: (url: string) => Agent | undefined = () => undefined,
  /** What reads the protocols' packed records (packed.ts). */
  decoders?: PackedDecoders,
): Promise<ConfiguredRecordings> {
  if (r.s3 === undefined) {
    const storage = createDiskRecordings(r.dir, { flushIntervalMs: r.flushIntervalMs, ...(decoders && { decoders }) });
    return { storage, start: async () => {}, stop: async () => {} };
  }
  const s3 = r.s3;
  const accessKey = await secret(s3.accessKeyFile, 'recording.s3.accessKeyFile', env[s3.accessKeyEnv] || env['AWS_ACCESS_KEY_ID'], `recording.s3: no access key: set ${s3.accessKeyEnv} (or AWS_ACCESS_KEY_ID), or recording.s3.accessKeyFile`);
  const secretKey = await secret(s3.secretKeyFile, 'recording.s3.secretKeyFile', env[s3.secretKeyEnv] || env['AWS_SECRET_ACCESS_KEY'], `recording.s3: no secret key: set ${s3.secretKeyEnv} (or AWS_SECRET_ACCESS_KEY), or recording.s3.secretKeyFile`);
  const endpoint = new URL(s3.endpoint);
  // Recordings hold what users ran and saw: over plain http anyone on the path reads them. Allowed (an in-cluster
  // MinIO often speaks http on a private network), but said at every start.
  if (endpoint.protocol === 'http:' && !isLoopbackHost(endpoint.hostname)) {
    log.warn({ endpoint: s3.endpoint }, 'recording.s3: recordings ship over plain http; use an https endpoint unless this network is trusted');
  }
  const [{ createS3ObjectStore }, { createShippedRecordings }] = await Promise.all([import('./object-store.ts'), import('./shipped.ts')]);
  const store = createS3ObjectStore({ endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKey, secretKey, pathStyle: s3.pathStyle, agent: agentFor(s3.endpoint) }, s3.prefix);
  const shipped = createShippedRecordings({ dir: r.dir, flushIntervalMs: r.flushIntervalMs, store, prefix: s3.prefix, shipIntervalMs: s3.shipIntervalMs, log, counts, ...(decoders && { decoders }) });
  return {
    storage: shipped,
    async start() {
      try {
        await shipped.start();
      } catch (err) {
        throw new WardenError('bad_request', `recording.s3: ${(err as Error).message}`, { cause: err });
      }
    },
    stop: () => shipped.stop(),
  };
}

/** A credential from its file (a mounted secret; `what` names the setting) when one is named, else from the environment. */
async function secret(file: string, what: string, fromEnv: string | undefined, missing: string): Promise<string> {
  if (file !== '') return readSecretFile(file, what);
  if (!fromEnv) throw new WardenError('bad_request', missing);
  return fromEnv;
}
