import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type TestS3 } from '../../../test/helpers/s3.ts';
import { validateConfig } from '../../config/load.ts';
import { recordingsFromConfig } from './from-config.ts';

let s3: TestS3;
const dir = mkdtempSync(join(tmpdir(), 'warden-rec-config-'));
const log = pino({ level: 'silent' });
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});

const recordingConfig = (recording: Record<string, unknown>) => validateConfig({ dataDir: dir, recording }, 'test config').recording;

describe('recording.s3 in the configuration', () => {
  it('names a misspelt key', () => {
    expect(() => recordingConfig({ s3: { endpoint: s3.endpoint, bukket: 'x' } })).toThrow(/bukket/);
  });

  it('says which variable to set when no credentials are given', async () => {
    await expect(recordingsFromConfig(recordingConfig({ s3: { endpoint: s3.endpoint, bucket: s3.bucket } }), {}, log)).rejects.toThrow(/WARDEN_S3_ACCESS_KEY \(or AWS_ACCESS_KEY_ID\)/);
  });

  it('names the key file that cannot be read or is empty', async () => {
    const empty = join(dir, 'empty-key');
    writeFileSync(empty, '\n');
    await expect(recordingsFromConfig(recordingConfig({ s3: s3.config({ accessKeyFile: empty }) }), {}, log)).rejects.toThrow(`recording.s3.accessKeyFile ${empty} is empty`);
    await expect(recordingsFromConfig(recordingConfig({ s3: s3.config({ secretKeyFile: join(dir, 'none') }) }), {}, log)).rejects.toThrow(`cannot read recording.s3.secretKeyFile ${join(dir, 'none')}`);
  });

  it('takes the credentials from the environment and ships with them', async () => {
    const env = { WARDEN_S3_ACCESS_KEY: s3.accessKey, WARDEN_S3_SECRET_KEY: s3.secretKey };
    const r = await recordingsFromConfig(recordingConfig({ s3: { endpoint: s3.endpoint, bucket: s3.bucket } }), env, log);
    await r.start();
    const w = r.storage.open('ses_cfg1');
    w.append({ type: 'session_end', at: new Date(0).toISOString(), reason: 'test', bytesFromClient: 0, bytesToClient: 0 });
    await w.close();
    await r.stop();
    const events = [];
    for await (const e of r.storage.read('ses_cfg1')) events.push(e);
    expect(events).toEqual([expect.objectContaining({ type: 'session_end', reason: 'test' })]);
  });

  it('warns at start when recordings would travel over plain http to another host', async () => {
    const logged: { level: number; msg: string }[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
    await recordingsFromConfig(recordingConfig({ s3: s3.config({ endpoint: 'http://minio.internal:9000' }) }), {}, capture);
    await recordingsFromConfig(recordingConfig({ s3: s3.config({ endpoint: 'https://s3.example.com' }) }), {}, capture);
    await recordingsFromConfig(recordingConfig({ s3: s3.config() }), {}, capture);
    expect(logged.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['recording.s3: recordings ship over plain http; use an https endpoint unless this network is trusted']);
  });

  it('refuses to start on a missing bucket, as a configuration error', async () => {
    const r = await recordingsFromConfig(recordingConfig({ s3: s3.config({ bucket: 'not-there' }) }), {}, log);
    await expect(r.start()).rejects.toMatchObject({ kind: 'bad_request', message: expect.stringMatching(/^recording\.s3: the recordings bucket "not-there" does not exist/) });
  });
});
