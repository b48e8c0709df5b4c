import { WardenError } from '../../errors.ts';

/** xml2js shape node-saml hands back (prefixes stripped): attributes under `$`, children as arrays. */
type Node = { $?: Record<string, string | undefined> } & Record<string, unknown>;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface AssertionFacts {
  id: string;
  /** The earliest NotOnOrAfter the assertion states: how long its ID must be remembered. */
  expiresAt: Date;
}

/**
 * Checks node-saml does not make, on the assertion it already verified
 * (`profile.getAssertion()`): a bearer SubjectConfirmation whose Recipient is
 * our ACS URL, and — against the injected clock rather than the system clock
 * node-saml uses — NotBefore/NotOnOrAfter of the conditions and of that
 * confirmation. Both NotOnOrAfter may not be absent together: an assertion
 * that never expires could be replayed forever once the replay cache forgets it.
 */
export function checkAssertion(parsed: unknown, opts: { recipient: string; now: Date; skewMs: number; issuer?: string }): AssertionFacts {
  const assertion = child(parsed as Node, 'Assertion');
  const id = assertion?.$?.ID;
  // fail closed: without an ID the assertion cannot be remembered, so it could be replayed.
  if (assertion === undefined || id === undefined || id === '') throw denied('the SAML assertion has no ID');
  if (opts.issuer !== undefined) {
    const issuer = text(assertion['Issuer']);
    // fail closed: node-saml checks the issuer of logout messages only; a sign-in from another IdP entity is refused here.
    if (issuer !== opts.issuer) {
      throw denied(`the SAML assertion was issued by ${issuer === undefined ? '(no Issuer)' : `"${issuer.slice(0, 120)}"`}, not by the IdP in identity.saml.idpMetadata (${opts.issuer}); an admin should check the metadata`);
    }
  }
  const now = opts.now.getTime();
  const limits: number[] = [];
  const conditions = child(assertion, 'Conditions');
  if (conditions !== undefined) limits.push(...window(conditions, now, opts.skewMs, 'conditions'));

  const confirmations = list(child(assertion, 'Subject'), 'SubjectConfirmation').filter((c) => c.$?.Method === BEARER);
  const data = confirmations.flatMap((c) => list(c, 'SubjectConfirmationData'));
  const forUs = data.filter((d) => d.$?.Recipient === opts.recipient);
  // fail closed: an assertion meant for another service provider's ACS must not sign anyone in here.
  if (forUs.length === 0) {
    const seen = data.map((d) => d.$?.Recipient ?? '(none)').join(', ') || '(no bearer confirmation)';
    throw denied(`the SAML assertion is addressed to ${seen}, not to this gateway's ACS ${opts.recipient}; an admin should check the ACS URL at the IdP and identity.saml.callbackUrl`);
  }
  limits.push(...window(forUs[0]!, now, opts.skewMs, 'subject confirmation'));
  // fail closed: no expiry at all is refused rather than remembered forever.
  if (limits.length === 0) throw denied('the SAML assertion states no NotOnOrAfter; the IdP must limit how long it is valid');
  return { id, expiresAt: new Date(Math.min(...limits)) };
}

/** NotBefore/NotOnOrAfter of one element against `now`; returns the NotOnOrAfter (ms) when present. */
function window(node: Node, now: number, skewMs: number, what: string): number[] {
  const notBefore = time(node.$?.NotBefore, what);
  const notOnOrAfter = time(node.$?.NotOnOrAfter, what);
  if (notBefore !== undefined && now + skewMs < notBefore) throw denied(`the SAML assertion is not valid yet (${what} NotBefore ${new Date(notBefore).toISOString()}); check the clocks of the IdP and the gateway`);
  if (notOnOrAfter !== undefined && now - skewMs >= notOnOrAfter) throw denied(`the SAML assertion expired at ${new Date(notOnOrAfter).toISOString()} (${what}); sign in again`);
  return notOnOrAfter === undefined ? [] : [notOnOrAfter];
}

function time(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  // fail closed: an unreadable time is not "no limit".
  if (Number.isNaN(ms)) throw denied(`the SAML assertion has an unreadable time in its ${what} (${value.slice(0, 40)})`);
  return ms;
}

/** The text of a single element in xml2js shape (`'text'` or `{ _: 'text', $: … }`); undefined unless exactly one. */
function text(v: unknown): string | undefined {
  if (!Array.isArray(v) || v.length !== 1) return undefined;
  const x: unknown = v[0];
  if (typeof x === 'string') return x.trim();
  const inner = (x as { _?: unknown } | null)?._;
  return typeof inner === 'string' ? inner.trim() : undefined;
}

function list(node: Node | undefined, name: string): Node[] {
  const v = node?.[name];
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Node[]) : [];
}

function child(node: Node | undefined, name: string): Node | undefined {
  const v = node?.[name];
  if (Array.isArray(v)) return v.length === 1 ? (v[0] as Node) : undefined;
  return typeof v === 'object' && v !== null ? (v as Node) : undefined;
}

const denied = (message: string) => new WardenError('access_denied', message);
