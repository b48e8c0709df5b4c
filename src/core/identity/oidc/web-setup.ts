import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/log.ts';
import type { GroupRecheck } from '../authenticate.ts';
import type { TokenDeps } from '../tokens.ts';
import type { Vault } from '../../vault/types.ts';
import type { DeviceClientDeps } from './device.ts';
import { lazyConfiguration } from './configuration.ts';
import { createGroupRecheck } from './recheck.ts';
import type { BindRefresh } from './service.ts';
import type { OidcSettings } from './types.ts';
import { createOidcWebLogin } from './web.ts';
import type { IdpBindingRepo, LoginStateRepo, OidcWebLogin } from './web-types.ts';

/**
 * The browser sign-in, the group re-check, and the binding of IdP refresh
 * tokens to Warden tokens (for the device flow too) from the `identity.oidc`
 * section, sharing one discovered IdP configuration. `publicUrl` is read on use (the
 * API's port may be known only once it listens); the redirect URI defaults to
 * `<publicUrl>/auth/oidc/callback`.
 */
export function oidcWebFromConfig(
  settings: OidcSettings,
  env: NodeJS.ProcessEnv,
  deps: TokenDeps & { vault: Vault; loginStates: LoginStateRepo; idpBindings: IdpBindingRepo; log: Logger; audit?: AuditLog; publicUrl: () => string; fetch?: DeviceClientDeps['fetch'] },
): { web: OidcWebLogin; recheck: GroupRecheck; bindRefresh: BindRefresh } {
  // oidcFromConfig has already refused a configured but unset secret.
  const clientSecret = settings.clientSecretEnv === '' ? '' : (env[settings.clientSecretEnv] ?? '');
  const configuration = lazyConfiguration(settings, { clock: deps.clock, clientSecret, ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }) });
  const redirectUri = () => settings.redirectUri ?? `${deps.publicUrl().replace(/\/$/, '')}/auth/oidc/callback`;
  // The refresh token is sealed at rest; without a re-check interval there is no use for it, so it is not kept.
  const bindRefresh: BindRefresh = async (login) => {
    if (settings.refreshGroupsEvery <= 0) return;
    await deps.idpBindings.save({
      tokenId: login.tokenId,
      userId: login.userId,
      subject: login.subject,
      sealedRefreshToken: deps.vault.seal(login.refreshToken),
      nextCheckAt: new Date(deps.clock.now().getTime() + settings.refreshGroupsEvery),
    });
  };
  return {
    web: createOidcWebLogin(settings, { ...deps, configuration, redirectUri, bindRefresh }),
    recheck: createGroupRecheck(settings, { ...deps, configuration }),
    bindRefresh,
  };
}
