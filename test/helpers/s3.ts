import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/**
 * A real S3-compatible server for tests: s3rver (MIT, an npm devDependency: no MinIO binary
 * comes from this machine's registries) on a free loopback port, with one bucket, its objects
 * in a temp dir. Its key pair is S3RVER / S3RVER, written to files for recording.s3's
 * accessKeyFile/secretKeyFile. It does not verify signatures, so no test here can catch a wrong key.
 */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** recording.s3 settings for a gateway: the endpoint, the bucket and the credentials as files. */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'warden-recordings'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 'objects'), configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const accessKeyFile = join(dir, 'access-key');
  const secretKeyFile = join(dir, 'secret-key');
  writeFileSync(accessKeyFile, 'S3RVER\n', { mode: 0o600 });
  writeFileSync(secretKeyFile, 'S3RVER\n', { mode: 0o600 });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    config: (extra = {}) => ({ endpoint, bucket, accessKeyFile, secretKeyFile, ...extra }),
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
