import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { FileEvent, RecordingEvent } from '../../src/core/recording/types.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const fileEvents = (events: RecordingEvent[]) => events.filter((e): e is FileEvent => e.type === 'file');

export interface FileSuite {
  sshd: TestSshd;
  t: TestGatewayWithMysql;
  /** alice's token; alice reaches the sshd as the connection `box`. */
  token: string;
  /** A directory on the client side for files to send and receive. */
  local: string;
}

/**
 * What every file-transfer suite shares: a real sshd, a gateway with the
 * suite's rules, alice and the connection `box`, the `area` directory on the
 * target, and a local directory. The fields are filled in before the first test.
 */
export function fileTransferSuite(opts: { rules: unknown[]; area: string; localPrefix: string; config?: Record<string, unknown> }): FileSuite {
  const s = {} as FileSuite;
  beforeAll(async () => {
    s.sshd = await startTestSshd();
    s.t = await startTestGateway({ rules: opts.rules, ...(opts.config ? { config: opts.config } : {}) });
    s.token = await s.t.user('alice');
    await s.t.connection('box', { type: 'ssh', host: '127.0.0.1', port: s.sshd.port, username: s.sshd.user, password: s.sshd.password });
    // The target's user is not the test's: the area is open to it.
    mkdirSync(opts.area, { recursive: true });
    chmodSync(opts.area, 0o777);
    s.local = mkdtempSync(join(tmpdir(), opts.localPrefix));
  });
  afterAll(async () => {
    await s.t?.stop();
    await s.sshd?.stop();
    rmSync(opts.area, { recursive: true, force: true });
    if (s.local) rmSync(s.local, { recursive: true, force: true });
  });
  return s;
}
