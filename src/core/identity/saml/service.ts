import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import type { Clock } from '../../clock.ts';
import { WardenError } from '../../errors.ts';
import { completeIdpLogin } from '../login.ts';
import { claimGroups, mapGroups } from '../oidc/groups.ts';
import type { TokenDeps } from '../tokens.ts';
import { checkAssertion } from './assertion.ts';
import { samlError } from './errors.ts';
import { loadIdpMetadata } from './metadata.ts';
import { memorySamlState } from './replay.ts';
import type { SamlStateRepo } from './state.ts';
import type { SamlLogin, SamlSettings } from './types.ts';

/** Clock difference tolerated between the IdP and the gateway. */
const SKEW_MS = 60_000;
/** How long a started sign-in (AuthnRequest ID) may take to come back. */
const REQUEST_TTL_MS = 10 * 60_000;
/** A posted SAMLResponse is a few KB; refuse anything absurd before parsing it. */
const MAX_RESPONSE_CHARS = 256 * 1024;

/** What the SP is built from once config, files and metadata are resolved. */
export type ResolvedSamlSettings = Omit<SamlSettings, 'idpCert' | 'entryPoint'> & {
  entryPoint: string;
  /** One or more IdP signing certificates (PEM); any of them may have signed a response. */
  idpCert: string | string[];
  /** The IdP entityID every assertion's Issuer must equal (from metadata); absent: not checked. */
  idpIssuer?: string;
};

/** Where SAML state lives: the store for a gateway (shared by replicas), memory otherwise. */
export type SamlDeps = TokenDeps & { samlState?: SamlStateRepo; /** The gateway's outbound fetch (its HTTP proxy); the global one without. */ fetch?: typeof fetch };

/**
 * SP-initiated SAML sign-in through node-saml, which verifies the XML
 * signature (of the response or of the assertion; exactly one assertion, so
 * wrapped copies are refused), the audience, the time conditions (against the
 * system clock: node-saml takes no clock) and that InResponseTo names a
 * pending request. On top: Recipient, the Issuer (when known from metadata),
 * the time conditions again against the injected clock, and assertion IDs
 * remembered to refuse replays. Pending request IDs and used assertion IDs
 * are in `deps.samlState`: with the store's, a response may come back to any
 * replica and a replay is refused on all of them.
 */
export function createSamlLogin(settings: ResolvedSamlSettings, deps: SamlDeps): SamlLogin {
  const state = deps.samlState ?? memorySamlState();
  const saml = new SAML({
    entryPoint: settings.entryPoint,
    issuer: settings.issuer,
    callbackUrl: settings.callbackUrl,
    idpCert: settings.idpCert,
    ...(settings.idpIssuer === undefined ? {} : { idpIssuer: settings.idpIssuer }),
    audience: settings.audience ?? settings.issuer,
    // Either signature is enough: node-saml then requires the assertion's own signature when the response is unsigned.
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: requestCache(state, deps.clock),
    acceptedClockSkewMs: SKEW_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
  });

  return {
    async loginUrl(relayState = '') {
      return saml.getAuthorizeUrlAsync(relayState, undefined, {});
    },

    metadata() {
      return saml.generateServiceProviderMetadata(null);
    },

    async acs(samlResponse) {
      if (samlResponse.length === 0 || samlResponse.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) {
        throw new WardenError('bad_request', 'SAMLResponse must be the base64 SAML response the identity provider posts; start again at /api/v1/auth/saml/login');
      }
      // A cheap early answer for a replay; the authoritative check is `useAssertion` below, on the verified ID.
      for (const id of assertionIds(Buffer.from(samlResponse, 'base64').toString('utf8'))) {
        if (await state.assertionUsed(id, deps.clock.now())) throw replayed(id);
      }
      let profile: Awaited<ReturnType<SAML['validatePostResponseAsync']>>['profile'];
      try {
        ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
      } catch (err) {
        throw samlError(err);
      }
      // fail closed: a logout response or a passive "no session" answer signs nobody in.
      if (profile === null || profile.getAssertion === undefined) {
        throw new WardenError('access_denied', 'the SAML response is not a sign-in assertion; start again at /api/v1/auth/saml/login');
      }
      const now = deps.clock.now();
      const facts = checkAssertion(profile.getAssertion(), {
        recipient: settings.callbackUrl,
        now,
        skewMs: SKEW_MS,
        ...(settings.idpIssuer === undefined ? {} : { issuer: settings.idpIssuer }),
      });
      if (!(await state.useAssertion(facts.id, now, facts.expiresAt))) throw replayed(facts.id);

      const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
      const idpGroups = claimGroups(attributes, settings.groupsAttribute);
      const groups = mapGroups(idpGroups, settings.groupMap);
      const done = await completeIdpLogin(deps, { source: 'saml', name: profile.nameID, groups, tokenTtlMs: settings.tokenTtlMs });
      return { ...done, idpGroups, assertionId: facts.id };
    },
  };
}

/**
 * `createSamlLogin` from the config section: the certificate from idpCert or
 * idpCertFile, and/or the entityID, certificates and SSO URL from
 * idpMetadata (a file or URL, read now). Explicit settings win for the entry
 * point; certificates from both are trusted. Throws `bad_request` (or
 * `upstream_unavailable` for metadata that cannot be fetched) so the gateway
 * refuses to start rather than run a SAML SP it cannot verify with.
 */
export async function samlFromConfig(settings: SamlSettings, deps: SamlDeps): Promise<SamlLogin> {
  const certs: string[] = [];
  if (settings.idpCert !== undefined) certs.push(settings.idpCert);
  if (settings.idpCertFile !== undefined) {
    try {
      certs.push(readFileSync(settings.idpCertFile, 'utf8'));
    } catch (err) {
      // fail closed: without the IdP certificate no response can be verified; refuse to start.
      throw new WardenError('bad_request', `cannot read identity.saml.idpCertFile ${settings.idpCertFile} (${(err as Error).message}); point it at the IdP's signing certificate (PEM)`, { cause: err });
    }
  }
  if (certs.some((c) => !c.includes('BEGIN CERTIFICATE'))) {
    throw new WardenError('bad_request', 'identity.saml needs the IdP signing certificate as PEM (-----BEGIN CERTIFICATE-----) in idpCert or idpCertFile');
  }
  const meta = settings.idpMetadata === undefined ? undefined : await loadIdpMetadata(settings.idpMetadata, deps.fetch);
  if (meta !== undefined) certs.push(...meta.certs);
  const entryPoint = settings.entryPoint ?? meta?.ssoUrl;
  if (certs.length === 0 || entryPoint === undefined) {
    throw new WardenError('bad_request', 'identity.saml needs the IdP signing certificate (idpCert, idpCertFile or idpMetadata) and its SSO URL (entryPoint or idpMetadata)');
  }
  const { idpCert: _cert, entryPoint: _entry, ...rest } = settings;
  return createSamlLogin({ ...rest, entryPoint, idpCert: certs.length === 1 ? certs[0]! : certs, ...(meta === undefined ? {} : { idpIssuer: meta.entityId }) }, deps);
}

/**
 * node-saml's request-ID cache over the SAML state port. `saveAsync` runs when
 * an AuthnRequest is built, `getAsync` when a response names it (its value is
 * the time the request was sent), `removeAsync` once it is answered or refused.
 */
function requestCache(state: SamlStateRepo, clock: Clock): CacheProvider {
  return {
    async saveAsync(key, value) {
      const now = clock.now();
      await state.saveRequest(key, now, new Date(now.getTime() + REQUEST_TTL_MS));
      return { value, createdAt: now.getTime() };
    },
    async getAsync(key) {
      const sent = await state.findRequest(key, clock.now());
      return sent === undefined ? null : sent.toISOString();
    },
    async removeAsync(key) {
      if (key !== null) await state.removeRequest(key);
      return key;
    },
  };
}

function assertionIds(xml: string): string[] {
  return [...xml.matchAll(/<(?:[\w.-]+:)?Assertion\b[^>]*?\sID\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

const replayed = (id: string) =>
  new WardenError('access_denied', `this SAML assertion (${id.slice(0, 80)}) was already used to sign in; start again at /api/v1/auth/saml/login`);
