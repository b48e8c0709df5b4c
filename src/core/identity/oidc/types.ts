import type { WardenConfig } from '../../../config/schema.ts';
import type { User } from '../types.ts';

/** The `identity.oidc` config section. */
export type OidcSettings = NonNullable<WardenConfig['identity']['oidc']>;

/** What the CLI shows the person: where to go and which code to type. */
export interface DeviceStart {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Opaque to the CLI: it hands this back to poll. */
  deviceCode: string;
  /** Seconds to wait between polls. */
  interval: number;
  /** Seconds until the code expires. */
  expiresIn: number;
}

/** One poll: still waiting (`slowDown`: the IdP asked for 5 s more between polls), or logged in. */
export type DevicePoll =
  | { status: 'pending'; slowDown: boolean }
  | { status: 'complete'; token: string; user: User; expiresAt: Date; idpGroups: string[] };

/** The OIDC device flow as the API uses it; built by `createOidcLogin`. */
export interface OidcLogin {
  startDevice(): Promise<DeviceStart>;
  /** Throws WardenError: `bad_request` (expired/unknown code), `access_denied` (refused, bad ID token), `upstream_unavailable` (IdP down). */
  pollDevice(deviceCode: string): Promise<DevicePoll>;
}
