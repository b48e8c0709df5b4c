import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../../src/demo/fake.ts';
import { psql } from '../helpers/psql.ts';

/**
 * `warden demo` as a user runs it: the real binary in its own process, with a
 * temp HOME (where it signs the CLI in) and any free ports, then the real psql
 * against the printed URL and the real CLI against the printed API, and
 * finally Ctrl-C. The seed is deterministic, so the raw values the target
 * holds are known here and must never reach the client.
 */
const bin = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
const data = demoDataset();

interface DemoLine {
  psql: string;
  api: string;
  user: string;
  token: string;
  dataDir: string;
}

let home: string;
let env: NodeJS.ProcessEnv;
let demo: ChildProcessWithoutNullStreams;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let stderr = '';
let line: DemoLine;

function warden(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

const wardenJson = async <T>(args: string[]): Promise<T> => {
  const r = await warden([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

/** psql, unaligned and tuples only: one row per line, `|` between values. */
const query = (url: string, sql: string) => psql([url, '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-c', sql]);

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Direct children of a process, from /proc (threads included, so the worker's are seen too). */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((l) => l.split(/\s+/).filter(Boolean).map(Number));
}

/** Whether a process still runs: a zombie (state Z, exited but not yet reaped by init) does not. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Polls until `pid` has stopped (its children exit when their pipes to the demo close), giving up after ~10 s. */
async function stopped(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await running(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'warden-demo-'));
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARDEN_')));
  Object.assign(env, { HOME: home, NO_COLOR: '1' });
  demo = spawn(process.execPath, [bin, 'demo', '--json', '--data-dir', join(home, 'data'), '--pg-port', '0', '--api-port', '0'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  demo.stderr.on('data', (d: Buffer) => (stderr += d));
  exited = new Promise((resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })));
  line = await new Promise<DemoLine>((resolve, reject) => {
    let out = '';
    demo.stdout.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)) as DemoLine);
    });
    void exited.then(({ code }) => reject(new Error(`warden demo exited (${code}) before printing its JSON line:\n${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  // Only if a test failed before the Ctrl-C test: never leave the demo running.
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGKILL');
    await exited;
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe('warden demo', () => {
  it('prints one JSON line with a psql URL for alice and the API', () => {
    expect(line.user).toBe('alice');
    expect(line.psql).toMatch(/^postgresql:\/\/alice:wdn_[^@]+@127\.0\.0\.1:\d+\/demo\?sslmode=require$/);
    expect(line.psql).toContain(line.token);
    expect(line.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(line.dataDir).toBe(join(home, 'data'));
    // --pg-port 0 / --api-port 0: ports the OS chose, never the defaults.
    expect(new URL(line.psql).port).not.toBe('15432');
    expect(new URL(line.api).port).not.toBe('17080');
  });

  it("masks customers' PII for alice: no raw value from the seed reaches psql", async () => {
    const r = await query(line.psql, 'select id, full_name, email, phone, national_id, iban, date_of_birth from customers order by id');
    expect(r.stderr).toBe('');
    const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
    expect(rows).toHaveLength(data.customers.length);
    rows.forEach(([id, name, email, phone, nid, iban, dob], i) => {
      const c = data.customers[i]!;
      expect([id, name]).toEqual([String(c.id), c.fullName]); // not PII: passes untouched
      expect(email).toMatch(/^h:[0-9a-f]{16}$/);
      expect(phone).toBe(`****${c.phone.slice(-4)}`);
      expect(nid).toBe('****');
      expect(iban).toBe(`****${c.iban.slice(-4)}`);
      expect(dob).toBe('****');
    });
    for (const c of data.customers) for (const raw of [c.email, c.phone, c.nationalId, c.iban]) expect(r.stdout).not.toContain(raw);
    // Spelled with its schema, or as a whole row: still no raw email.
    const qualified = await query(line.psql, 'select email from public.customers order by id limit 5');
    expect(qualified.stdout.trim().split('\n')).toHaveLength(5);
    const whole = await query(line.psql, 'select row_to_json(c) from customers c order by id limit 5');
    for (const out of [qualified.stdout, whole.stdout]) for (const c of data.customers.slice(0, 5)) expect(out).not.toContain(c.email);
  });

  it('keeps only the last 4 digits of card numbers, and masks PII quoted in ticket text', async () => {
    const cards = await query(line.psql, 'select card_number from payments order by id');
    expect(cards.stdout.trim().split('\n')).toEqual(data.payments.map((p) => `****${p.cardNumber.slice(-4)}`));
    const tickets = await query(line.psql, 'select body from support_tickets order by id');
    expect(tickets.stdout.trim().split('\n')).toHaveLength(data.supportTickets.length);
    const quoted = data.customers.filter((c) => data.supportTickets.some((t) => t.body.includes(c.email)));
    expect(quoted.length).toBeGreaterThan(0); // the check below is not vacuous
    for (const c of quoted) expect(tickets.stdout).not.toContain(c.email);
  });

  it('blocks DROP and holds DELETE for approval; the data is untouched and a count works', async () => {
    const drop = await query(line.psql, 'drop table payments');
    expect(drop.code).not.toBe(0);
    expect(drop.stderr).toContain('blocked by policy rule "demo:block-destructive": DROP and TRUNCATE are blocked');
    const del = await query(line.psql, 'delete from payments');
    expect(del.code).not.toBe(0);
    // Queue mode: refused now with the id of the review that was opened.
    expect(del.stderr).toMatch(/approval.*required.*policy rule "demo:review-delete-update".*review R-\d+ is open/);
    const count = await query(line.psql, 'select count(*) from payments');
    expect(count).toMatchObject({ code: 0, stdout: `${data.payments.length}\n`, stderr: '' });
  });

  it('shows raw values to a user in pii-readers, created with the signed-in CLI', async () => {
    // The demo signed the CLI in under HOME; this also proves the masking above is the policy's doing.
    expect(JSON.parse(await readFile(join(home, '.config', 'warden', 'cli.json'), 'utf8'))).toMatchObject({ url: line.api });
    await wardenJson(['users', 'create', 'bob', '--group', 'pii-readers']);
    const { token } = await wardenJson<{ token: string }>(['tokens', 'create', 'bob']);
    const url = new URL(line.psql);
    url.username = 'bob';
    url.password = token;
    const r = await query(url.toString(), 'select email, card_number from customers c join payments p on p.customer_id = c.id order by p.id limit 3');
    expect(r.stderr).toBe('');
    const first = data.payments.slice(0, 3).map((p) => `${data.customers.find((c) => c.id === p.customerId)!.email}|${p.cardNumber}`);
    expect(r.stdout.trim().split('\n')).toEqual(first);
  });

  it("lists alice's sessions through `warden sessions list`, with masked rows in the recording", async () => {
    const list = await wardenJson<{ id: string; userName: string; connectionName: string }[]>(['sessions', 'list', '--user', 'alice']);
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.every((s) => s.userName === 'alice' && s.connectionName === 'demo')).toBe(true);
    // Newest first: the oldest is the masking test's first psql run.
    const { events } = await wardenJson<{ events: { text?: string; rows?: unknown[][] }[] }>(['sessions', 'show', list.at(-1)!.id]);
    const pii = events.find((e) => e.text?.startsWith('select id, full_name, email'));
    expect(pii?.rows?.length).toBeGreaterThan(0);
    const recorded = JSON.stringify(pii!.rows);
    expect(recorded).not.toContain(data.customers[0]!.email);
    expect(recorded).toContain(data.customers[0]!.fullName);
  });

  it('stops on Ctrl-C with exit code 0 and leaves nothing listening or running', async () => {
    const connections = await wardenJson<{ name: string; port: number }[]>(['connections', 'list']);
    const targetPort = connections.find((c) => c.name === 'demo')!.port;
    const ports = [Number(new URL(line.psql).port), Number(new URL(line.api).port), targetPort];
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    const children = await childrenOf(demo.pid!);

    demo.kill('SIGINT');
    const { code, signal } = await exited;
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const p of ports) expect(await portOpen(p)).toBe(false);
    // tsx's esbuild service is the one child today; whatever it is, none may outlive the demo.
    for (const pid of children) expect(await stopped(pid)).toBe(true);
  }, 60_000);
});
