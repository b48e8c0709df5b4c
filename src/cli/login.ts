import type { Command } from 'commander';
import { errorKinds, WardenError, type ErrorKind } from '../core/errors.ts';
import { ApiClient } from './client.ts';
import { cliConfigPath, removeCliConfig, writeCliConfig } from './config.ts';
import { action, output, type Output } from './output.ts';

/** `warden login` / `warden logout`: remember (or forget) which API and token the CLI uses. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('check a Warden token against the API and save both for later commands')
    .requiredOption('--url <url>', 'Warden API URL, e.g. http://127.0.0.1:17080')
    .option('--token <token>', 'the token (default: $WARDEN_TOKEN, else read from stdin)')
    .option('--oidc', 'sign in with the identity provider (device flow): open the printed URL, confirm the code')
    .option('--json', 'print JSON for scripts instead of text')
    .addHelpText('after', '\nExample:\n  echo "$TOKEN" | warden login --url http://127.0.0.1:17080\n\nSaved in $WARDEN_CLI_CONFIG or ~/.config/warden/cli.json (mode 0600).')
    .action(
      action(async (opts: { url: string; token?: string; oidc?: boolean; json?: boolean }) => {
        if (opts.oidc === true && opts.token !== undefined) throw new WardenError('bad_request', 'use either --oidc or --token, not both');
        const token = opts.oidc === true ? await oidcDeviceLogin(opts.url, output(opts)) : (opts.token ?? process.env['WARDEN_TOKEN'] ?? (await tokenFromStdin()));
        const api = new ApiClient({ url: opts.url, token });
        // Check before saving: a wrong URL or token should fail here, not at the next command.
        const me = await api.whoami();
        const path = cliConfigPath();
        await writeCliConfig(path, { url: api.url, token });
        output(opts).result({ url: api.url, user: me.user, configFile: path }, () => `logged in to ${api.url} as ${me.user.name} (${me.user.role}); saved in ${path}`);
      }),
    );

  program
    .command('logout')
    .description('forget the saved API URL and token')
    .action(
      action(async () => {
        const path = cliConfigPath();
        const removed = await removeCliConfig(path);
        process.stdout.write(removed ? `logged out; removed ${path}\n` : `not logged in (no ${path})\n`);
      }),
    );
}

async function tokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new WardenError('bad_request', 'no token given: pipe it on stdin, set WARDEN_TOKEN, or pass --token');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = Buffer.concat(chunks).toString('utf8').trim();
  if (token === '') throw new WardenError('bad_request', 'stdin was empty: pipe the token in, set WARDEN_TOKEN, or pass --token');
  return token;
}

/**
 * The device flow through the gateway: print where to go and the code, poll
 * until the person confirms at the IdP, return the Warden token the gateway
 * issued. The IdP's own tokens never reach the CLI.
 */
export async function oidcDeviceLogin(url: string, out: Output, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<string> {
  const base = url.replace(/\/+$/, '');
  const started = (await postPublic(base, '/api/v1/auth/device', {})).body as {
    user_code: string; verification_uri: string; verification_uri_complete?: string; device_code: string; interval: number; expires_in: number;
  };
  out.note(`To sign in, open ${started.verification_uri_complete ?? started.verification_uri}`);
  out.note(`and confirm the code: ${started.user_code}`);
  let interval = Math.max(1, started.interval);
  // The IdP enforces the code's expiry; the deadline here only stops a loop against a gateway that never answers "expired".
  const deadline = Date.now() + (started.expires_in + 30) * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    const r = await postPublic(base, '/api/v1/auth/device/poll', { device_code: started.device_code });
    if (r.status === 200) return (r.body as { token: string }).token;
    if ((r.body as { slow_down?: boolean }).slow_down === true) interval += 5;
  }
  throw new WardenError('bad_request', 'the login code expired before it was confirmed; run `warden login --oidc` again');
}

async function postPublic(base: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new WardenError('upstream_unavailable', `cannot reach the Warden API at ${base} (${(err as Error).message}); is the gateway running and the URL right?`);
  }
  const parsed = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (res.ok) return { status: res.status, body: parsed };
  const kind = errorKinds.includes(parsed.error as ErrorKind) ? (parsed.error as ErrorKind) : 'internal';
  throw new WardenError(kind, parsed.message ?? `the API answered HTTP ${res.status}; is this a Warden API URL?`);
}
