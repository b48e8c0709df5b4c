import type { Agent } from 'node:http';
import { Client } from 'minio';

/**
 * The little of S3 that shipped recordings need (shipped.ts), so the
 * shipping logic does not depend on one client library.
 */
export interface ObjectStore {
  /** Where objects go, for logs and messages (`s3://bucket/prefix`; never credentials). */
  readonly where: string;
  put(key: string, body: Buffer): Promise<void>;
  /** Keys under `prefix` with their sizes, in key order. */
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  /** An object's bytes as they arrive. */
  get(key: string): Promise<AsyncIterable<Buffer>>;
  /** Throws an Error saying what is wrong when the bucket is missing or cannot be reached. */
  check(): Promise<void>;
}

export interface S3Settings {
  /** The S3-compatible endpoint's URL (http or https), e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** Path-style addressing (https://host/bucket/key), which MinIO and most self-hosted stores want. */
  pathStyle: boolean;
  /** The HTTP agent requests go through (the network's proxy); Node's default without. */
  agent?: Agent;
}

/**
 * An ObjectStore on any S3-compatible service, through MinIO's client
 * (Apache-2.0; it signs with SigV4, works on Node 20, and speaks to AWS as
 * well as to MinIO, Ceph or Garage).
 */
export function createS3ObjectStore(s: S3Settings, prefix: string): ObjectStore {
  const url = new URL(s.endpoint);
  const useSSL = url.protocol === 'https:';
  const client = new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
    pathStyle: s.pathStyle,
    ...(s.agent === undefined ? {} : { transportAgent: s.agent }),
  });
  const bucket = s.bucket;
  return {
    where: `s3://${bucket}/${prefix}`,
    async put(key, body) {
      await client.putObject(bucket, key, body, body.length);
    },
    async list(under) {
      const found: { key: string; size: number }[] = [];
      for await (const o of client.listObjectsV2(bucket, under, true) as AsyncIterable<{ name?: string; size?: number }>) {
        if (o.name !== undefined) found.push({ key: o.name, size: o.size ?? 0 });
      }
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async get(key) {
      return (await client.getObject(bucket, key)) as AsyncIterable<Buffer>;
    },
    async check() {
      let exists: boolean;
      try {
        exists = await client.bucketExists(bucket);
      } catch (err) {
        throw new Error(`cannot reach the recordings bucket "${bucket}" at ${s.endpoint}: ${(err as Error).message}`, { cause: err });
      }
      if (!exists) throw new Error(`the recordings bucket "${bucket}" does not exist at ${s.endpoint}: create it (Warden does not create buckets)`);
    },
  };
}
