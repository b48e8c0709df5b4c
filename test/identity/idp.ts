import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (`oidc-provider`) on a free port, with the device
 * flow on, its development login/consent pages, a public and a confidential
 * client, and accounts whose ID tokens carry a `groups` claim. With
 * `redirectUris`, also a confidential client `warden-web` (authorization
 * code + PKCE, device flow, refresh tokens) for the browser sign-in and the group re-check.
 */
export interface TestIdp {
  issuer: string;
  /**
   * Accounts by login name; change `groups` between logins to model IdP changes
   * (delete one to model a user removed at the IdP). `userinfoGroups`, when set,
   * is what the userinfo endpoint says instead of `groups` (IdPs that keep groups out of ID tokens).
   */
  accounts: Map<string, { groups: string[]; userinfoGroups?: string[] }>;
  stop(): Promise<void>;
}

export const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

export async function startTestIdp(opts: { redirectUris?: string[] } = {}): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, { groups: string[]; userinfoGroups?: string[] }>();
  const device = { grant_types: [deviceGrant], response_types: [], redirect_uris: [] };
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'warden-public', token_endpoint_auth_method: 'none', ...device },
      { client_id: 'warden', client_secret: 'test-secret', token_endpoint_auth_method: 'client_secret_basic', ...device },
      ...(opts.redirectUris === undefined
        ? []
        : [{ client_id: 'warden-web', client_secret: 'test-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token', deviceGrant], response_types: ['code'], redirect_uris: opts.redirectUris }]),
    ],
    // A refresh token whenever the client may use one (the provider otherwise wants offline_access with prompt=consent).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    // Put scope claims (groups) in the ID token itself, as many IdPs do for a groups claim.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    cookies: { keys: ['warden-test-cookie-key'] },
    // Explicit lifetimes (seconds): the expiry test relies on ID tokens living one hour.
    ttl: { DeviceCode: 600, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 3600, RefreshToken: 3600 },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (account === undefined) return undefined;
      return {
        accountId: sub,
        claims: async (use?: string) => ({ sub, preferred_username: sub, groups: use === 'userinfo' && account.userinfoGroups !== undefined ? account.userinfoGroups : account.groups }),
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    accounts,
    // Idempotent: a test may stop the IdP early to model an outage.
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
