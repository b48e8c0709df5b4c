import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { WardenError } from '../../errors.ts';
import { completeIdpLogin } from '../login.ts';
import { claimGroups, mapGroups } from '../oidc/groups.ts';
import type { TokenDeps } from '../tokens.ts';
import { checkAssertion } from './assertion.ts';
import { samlError } from './errors.ts';
import { AssertionReplayCache } from './replay.ts';
import type { SamlLogin, SamlSettings } from './types.ts';

/** Clock difference tolerated between the IdP and the gateway. */
const SKEW_MS = 60_000;
/** How long a started sign-in (AuthnRequest ID) may take to come back. */
const REQUEST_TTL_MS = 10 * 60_000;
/** A posted SAMLResponse is a few KB; refuse anything absurd before parsing it. */
const MAX_RESPONSE_CHARS = 256 * 1024;

/**
 * SP-initiated SAML sign-in through node-saml, which verifies the XML
 * signature (of the response or of the assertion; exactly one assertion, so
 * wrapped copies are refused), the audience, the time conditions (against the
 * system clock: node-saml takes no clock) and that InResponseTo names a
 * request this instance started. On top: Recipient, the time conditions again
 * against the injected clock, and assertion IDs remembered to refuse replays.
 * Pending request IDs and used assertion IDs live in memory (one replica).
 */
export function createSamlLogin(settings: SamlSettings & { idpCert: string }, deps: TokenDeps): SamlLogin {
  const saml = new SAML({
    entryPoint: settings.entryPoint,
    issuer: settings.issuer,
    callbackUrl: settings.callbackUrl,
    idpCert: settings.idpCert,
    audience: settings.audience ?? settings.issuer,
    // Either signature is enough: node-saml then requires the assertion's own signature when the response is unsigned.
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    acceptedClockSkewMs: SKEW_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
  });
  const used = new AssertionReplayCache(deps.clock);

  return {
    async loginUrl(relayState = '') {
      return saml.getAuthorizeUrlAsync(relayState, undefined, {});
    },

    async acs(samlResponse) {
      if (samlResponse.length === 0 || samlResponse.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) {
        throw new WardenError('bad_request', 'SAMLResponse must be the base64 SAML response the identity provider posts; start again at /api/v1/auth/saml/login');
      }
      // A cheap early answer for a replay; the authoritative check is `remember` below, on the verified ID.
      for (const id of assertionIds(Buffer.from(samlResponse, 'base64').toString('utf8'))) {
        if (used.seen(id)) throw replayed(id);
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
      const facts = checkAssertion(profile.getAssertion(), { recipient: settings.callbackUrl, now: deps.clock.now(), skewMs: SKEW_MS });
      if (!used.remember(facts.id, facts.expiresAt)) throw replayed(facts.id);

      const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
      const idpGroups = claimGroups(attributes, settings.groupsAttribute);
      const groups = mapGroups(idpGroups, settings.groupMap);
      const done = await completeIdpLogin(deps, { source: 'saml', name: profile.nameID, groups, tokenTtlMs: settings.tokenTtlMs });
      return { ...done, idpGroups, assertionId: facts.id };
    },
  };
}

/** `createSamlLogin` from the config section, reading `idpCertFile` when the PEM is not inline. */
export function samlFromConfig(settings: SamlSettings, deps: TokenDeps): SamlLogin {
  let idpCert = settings.idpCert;
  if (idpCert === undefined && settings.idpCertFile !== undefined) {
    try {
      idpCert = readFileSync(settings.idpCertFile, 'utf8');
    } catch (err) {
      // fail closed: without the IdP certificate no response can be verified; refuse to start.
      throw new WardenError('bad_request', `cannot read identity.saml.idpCertFile ${settings.idpCertFile} (${(err as Error).message}); point it at the IdP's signing certificate (PEM)`, { cause: err });
    }
  }
  if (idpCert === undefined || !idpCert.includes('BEGIN CERTIFICATE')) {
    throw new WardenError('bad_request', 'identity.saml needs the IdP signing certificate as PEM (-----BEGIN CERTIFICATE-----) in idpCert or idpCertFile');
  }
  return createSamlLogin({ ...settings, idpCert }, deps);
}

function assertionIds(xml: string): string[] {
  return [...xml.matchAll(/<(?:[\w.-]+:)?Assertion\b[^>]*?\sID\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

const replayed = (id: string) =>
  new WardenError('access_denied', `this SAML assertion (${id.slice(0, 80)}) was already used to sign in; start again at /api/v1/auth/saml/login`);
