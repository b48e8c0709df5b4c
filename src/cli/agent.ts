import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { WardenError, errorKinds, type ErrorKind } from '../core/errors.ts';
import type { AgentView, IssuedAgentToken } from '../tunnel/routes.ts';
import { cliConfigPath, readCliConfig } from './config.ts';
import { action, output, shortTime, table } from './output.ts';
import { untilSignal } from './gateway.ts';
import { apiCommand, type ApiFlags } from './target.ts';
import type { AgentFlags } from '../agent/config.ts';

/**
 * `warden agent` runs the agent (inside the private network, dialing out);
 * `warden agents create|list|revoke` manage agents through the gateway's API.
 */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run a Warden agent: dial out to the gateway and open allowlisted targets for it')
    .option('--gateway <url>', 'the gateway API URL (ws://, wss://, http:// or https://); default $WARDEN_GATEWAY')
    .option('--token <token>', 'agent token from `warden agents create` (default: $WARDEN_AGENT_TOKEN)')
    .option('--token-file <file>', 'read the agent token from this file (a mounted secret)')
    .option('--allow <host:port>', 'a target this agent may open (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--config <file>', 'YAML/JSON file with any of: gateway, token or tokenFile, allow (list), ca, pin, proxy, credentials, logLevel (flags, then the environment, win over it)')
    .option('--ca <file>', 'PEM certificate or CA to trust for a wss:// gateway (pinning)')
    .option('--credentials <file>', 'YAML map of host:port → {user, password} (PostgreSQL, MySQL) or {user, privateKey, passphrase} (SSH): target credentials kept on this agent, for connections marked `credentials: agent`')
    .option('--pin <sha256:fingerprint>', "pin the wss:// gateway's certificate by its sha256 fingerprint (no CA needed); any other certificate is refused")
    .option('--proxy <url>', 'reach the gateway through this HTTP proxy (http://[user:password@]host:port, CONNECT); default: $HTTPS_PROXY for wss://, $HTTP_PROXY for ws://, unless $NO_PROXY names the gateway')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (default info)')
    .action(
      action(async (flags: AgentFlags) => {
        const { pino } = await import('pino');
        const { parse } = await import('yaml');
        const { Allowlist, agentSettings, credentialsHandler, parsePin, runAgent } = await import('../agent/index.ts');
        const s = await agentSettings(flags);
        const allow = new Allowlist(s.allow);
        const pin = s.pin === undefined ? undefined : parsePin(s.pin);
        // The secrets stay in this process: the gateway only ever gets challenge answers.
        const onAuth = s.credentials === undefined ? undefined : await credentialsHandler((parse(await readFile(s.credentials, 'utf8')) ?? {}) as Record<string, unknown>, dirname(resolve(s.credentials)));
        const log = pino({ level: s.logLevel }, pino.destination({ fd: 2, sync: true }));
        const agent = runAgent({ gateway: s.gateway, token: s.token, allow, log, ...(s.ca ? { ca: await readFile(s.ca, 'utf8') } : {}), ...(pin ? { pin } : {}), ...(s.proxy === undefined ? {} : { proxy: s.proxy }), ...(onAuth ? { onAuth } : {}) });
        const signal = await untilSignal();
        log.info({ signal }, 'stopping the agent');
        await agent.stop();
      }),
    );

  const agents = program.command('agents').description('manage agents (admin)');
  apiCommand(
    agents
      .command('create')
      .description("create an agent; its token is shown once, give it to the agent's host now")
      .argument('<name>')
      .option('--group <group>', 'an agent group it serves (repeatable; fixed for the agent: create another agent to change)', (v: string, all: string[]) => [...all, v], [] as string[]),
  ).action(
    action(async (name: string, flags: ApiFlags & { group: string[] }) => {
      const out = output(flags);
      const issued = await call<IssuedAgentToken>(flags, 'POST', '/api/v1/agents', { name, groups: flags.group });
      out.result(issued, () => [
        issued.token,
        '',
        `agent ${issued.agent.name} (${issued.agent.id}). This is the only time the token is shown: store it now.`,
        `run it with:  WARDEN_AGENT_TOKEN=<token> warden agent --gateway <api-url> --allow <host:port>`,
        `and point connections at it:  "agent": "${name}"`,
        ...issued.agent.groups.map((g) => `or at its group:  "agentGroup": "${g}"`),
      ]);
    }),
  );
  apiCommand(agents.command('list').description('list agents, the gateway replicas each is linked to, live links and last heartbeat')).action(
    action(async (flags: ApiFlags) => {
      const out = output(flags);
      const list = await call<AgentView[]>(flags, 'GET', '/api/v1/agents');
      out.result(list, () =>
        table(
          ['NAME', 'GROUPS', 'VERSION', 'REPLICAS', 'LINKS HERE', 'STREAMS HERE', 'LAST HEARTBEAT', 'REVOKED'],
          list.map((a) => [
            a.name,
            a.groups.join(',') || '-',
            a.version,
            // Every gateway replica the agent is linked to (name and URL), from the shared store.
            a.replicas.map((r) => `${r.name}@${r.url}${r.links > 1 ? ` ×${r.links}` : ''}`).join(', ') || '-',
            a.links.length,
            a.links.reduce((n, l) => n + l.streams, 0),
            shortTime(a.links[0]?.lastHeartbeatAt ?? a.lastSeenAt),
            shortTime(a.revokedAt),
          ]),
        ),
      );
    }),
  );
  apiCommand(agents.command('revoke').description("revoke an agent's token; its links drop at once").argument('<name>')).action(
    action(async (name: string, flags: ApiFlags) => {
      await call<void>(flags, 'DELETE', `/api/v1/agents/${encodeURIComponent(name)}`);
      output(flags).result({ revoked: name }, () => `revoked agent ${name}; its links are dropped`);
    }),
  );
}

/** One API call with the same URL/token resolution as every API-backed command. */
async function call<T>(flags: ApiFlags, method: string, path: string, body?: unknown): Promise<T> {
  const saved = await readCliConfig(cliConfigPath(process.env));
  const url = (flags.url ?? process.env['WARDEN_URL'] ?? saved?.url)?.replace(/\/+$/, '');
  const token = flags.token ?? process.env['WARDEN_TOKEN'] ?? saved?.token;
  if (!url || !token) throw new WardenError('access_denied', 'not logged in: run `warden login --url <api-url>`, or set WARDEN_URL and WARDEN_TOKEN');
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new WardenError('upstream_unavailable', `cannot reach the Warden API at ${url} (${(err as Error).message}); is the gateway running?`);
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!res.ok) {
    const kind = errorKinds.includes(data.error as ErrorKind) ? (data.error as ErrorKind) : 'internal';
    throw new WardenError(kind, data.message ?? `the API answered HTTP ${res.status}`);
  }
  return data as T;
}
