import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { freePort } from './ports.ts';

const run = promisify(execFile);
// The machine's PostgreSQL server binaries, whatever the major version.
const bin = join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().at(-1) ?? '15', 'bin');

/**
 * A private PostgreSQL cluster that demands passwords (the machine's own one
 * trusts every local connection), to test how the gateway authenticates to
 * targets: one role per method, plus TLS. Runs as the `postgres` OS user
 * because initdb refuses root.
 */
export interface PrivatePg {
  port: number;
  roles: { scram: string; md5: string; cleartext: string; tlsOnly: string };
  password: string;
  stop(): Promise<void>;
}

export async function startPrivatePg(): Promise<PrivatePg> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]);
  chownSync(dir, 101, 104);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
  writeFileSync(join(data, 'server.crt'), pems.cert);
  writeFileSync(join(data, 'server.key'), pems.private, { mode: 0o600 });
  chownSync(join(data, 'server.crt'), 101, 104);
  chownSync(join(data, 'server.key'), 101, 104);
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all w_scram 127.0.0.1/32 scram-sha-256',
      'host all w_md5 127.0.0.1/32 md5',
      'host all w_clear 127.0.0.1/32 password',
      'hostssl all w_tls 127.0.0.1/32 scram-sha-256',
      'host all postgres 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off`, 'start']);
  const psql = (sql: string) => run('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  for (let i = 0; ; i++) {
    try {
      await psql('select 1');
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const password = 'S3cret-target-pw';
  // md5 needs the password stored as md5; the others as SCRAM.
  await psql(`set password_encryption = 'md5'; create role w_md5 login password '${password}'`);
  await psql(`create role w_scram login password '${password}'; create role w_clear login password '${password}'; create role w_tls login password '${password}'`);
  return {
    port,
    password,
    roles: { scram: 'w_scram', md5: 'w_md5', cleartext: 'w_clear', tlsOnly: 'w_tls' },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
