import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { resolve } from 'node:path';
import pg from 'pg';
import { issueToken } from '../../src/core/identity/index.ts';
import { newId } from '../../src/core/ids.ts';
import type { AgentView } from '../../src/tunnel/index.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const bin = resolve(import.meta.dirname, '../../bin/warden.mjs');

/** Runs `warden …` to completion; resolves with its exit code and output. */
export function warden(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/** A running `warden agent` child process; `log` collects its stderr. */
export interface AgentProcess {
  child: ChildProcess;
  log(): string;
  kill(): Promise<void>;
}

/** `env`: more environment for the agent (HTTPS_PROXY…). */
export function startAgent(apiUrl: string, token: string, allow: string[], extra: string[] = [], env: NodeJS.ProcessEnv = {}): AgentProcess {
  // The token comes from the environment, as an operator would pass it.
  return spawnAgent(['--gateway', apiUrl, ...allow.flatMap((a) => ['--allow', a]), ...extra], { ...env, WARDEN_AGENT_TOKEN: token });
}

/** `warden agent` with exactly these arguments (and the test's environment plus `env`). */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [bin, 'agent', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => log,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** An admin user's token on the test gateway. */
export async function adminToken(t: TestGateway): Promise<string> {
  const core = t.gw.core;
  const u = await core.users.create({ id: newId('usr'), name: `admin-${newId('x').slice(-6)}`, role: 'admin', groups: [], createdAt: new Date() });
  return (await issueToken(core, u.id, { name: 'test' })).token;
}

export async function listAgents(t: TestGateway, admin: string): Promise<AgentView[]> {
  const res = await fetch(`${t.apiUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${admin}` } });
  if (!res.ok) throw new Error(`list agents: HTTP ${res.status}`);
  return (await res.json()) as AgentView[];
}

/** Polls (bounded) until `agent` has exactly `links` live links on the gateway. */
export async function waitForLinks(t: TestGateway, admin: string, agent: string, links: number): Promise<AgentView> {
  for (let i = 0; i < 400; i++) {
    const a = (await listAgents(t, admin)).find((x) => x.name === agent);
    if (a && a.links.length === links) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`agent ${agent} never had ${links} link(s)`);
}

/** A postgres connection served by `agent`. */
export async function agentConnection(t: TestGateway, name: string, agent: string, port = 5432): Promise<void> {
  await t.gw.core.connections.create({
    id: newId('con'),
    name,
    type: 'postgres',
    host: '127.0.0.1',
    port,
    database: 'test',
    username: 'postgres',
    sealedSecret: null,
    tls: 'disable',
    tags: [],
    agent,
    createdAt: new Date(),
  });
}

/** A mysql or ssh connection served by `agent`, with its password in the vault. */
export async function agentTarget(t: TestGateway, name: string, agent: string, c: { type: 'mysql' | 'ssh'; port: number; username: string; password?: string; database?: string }): Promise<void> {
  const core = t.gw.core;
  await core.connections.create({
    id: newId('con'),
    name,
    type: c.type,
    host: '127.0.0.1',
    port: c.port,
    database: c.database ?? null,
    username: c.username,
    sealedSecret: c.password === undefined ? null : core.vault.seal(c.password),
    tls: 'disable',
    tags: [],
    agent,
    createdAt: new Date(),
  });
}

/** A JSON call to the gateway's HTTPS API, trusting its self-signed certificate. */
export function callHttps(url: string, method: string, token: string, ca: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Polls `ok` (bounded, ~20 s) until it holds; throws naming `what` otherwise. */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

/** `select 7` as `user` through the gateway's PostgreSQL listener to `connection`. */
export async function selectSeven(t: TestGateway, user: string, token: string, connection: string): Promise<unknown[]> {
  const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user, password: token, database: connection });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query('select 7 as n')).rows;
  } finally {
    await c.end();
  }
}

/** A gateway serving its API (and the agents' endpoint) over TLS with its self-signed certificate; agent `edge` created through that API, connection `via-edge` served by it, user alice. */
export interface TlsAgentGateway {
  t: TestGateway;
  apiUrl: string;
  cert: string;
  admin: string;
  agentToken: string;
  userToken: string;
}

export async function startTlsAgentGateway(): Promise<TlsAgentGateway> {
  const t = await startTestGateway({ config: { tls: { api: true }, agents: { waitMs: 3000, heartbeatMs: 1000 } } });
  const apiUrl = `https://127.0.0.1:${t.gw.addresses.api!.port}`;
  const cert = readFileSync(t.gw.tlsCertFile, 'utf8');
  const admin = await adminToken(t);
  const userToken = await t.user('alice');
  const created = await callHttps(`${apiUrl}/api/v1/agents`, 'POST', admin, cert, { name: 'edge' });
  if (created.status !== 201) throw new Error(`create agent: HTTP ${created.status}`);
  await agentConnection(t, 'via-edge', 'edge');
  return { t, apiUrl, cert, admin, agentToken: (created.json as { token: string }).token, userToken };
}
