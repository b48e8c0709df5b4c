import type * as oidc from 'openid-client';
import type { OidcSettings } from './types.ts';

/**
 * The scope a sign-in asks for: the configured one, plus `offline_access`
 * when groups are re-checked and the IdP advertises it, so the IdP may return
 * a refresh token to re-check with (see recheck.ts).
 */
export function scopeFor(settings: Pick<OidcSettings, 'scope' | 'refreshGroupsEvery'>, c: oidc.Configuration): string {
  const scopes = settings.scope.split(/\s+/).filter((s) => s !== '');
  const offered = c.serverMetadata().scopes_supported ?? [];
  if (settings.refreshGroupsEvery > 0 && offered.includes('offline_access') && !scopes.includes('offline_access')) scopes.push('offline_access');
  return scopes.join(' ');
}
