import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DOMParser } from '@xmldom/xmldom';
import { WardenError } from '../../errors.ts';
import { isLoopbackHost } from '../../loopback.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const MAX_CHARS = 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

/** What Warden takes from an IdP's SAML metadata. */
export interface IdpMetadata {
  /** The IdP's entityID: the Issuer its assertions must name. */
  entityId: string;
  /** Every signing certificate (PEM); several during a key rotation. */
  certs: string[];
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoUrl: string;
}

/**
 * Reads an IdP's EntityDescriptor (SAML 2.0 metadata): its entityID, the
 * signing certificates of its IDPSSODescriptor (KeyDescriptor use="signing"
 * or without `use`) and its HTTP-Redirect SingleSignOnService. Throws
 * WardenError('bad_request') naming `source` for anything missing or odd;
 * metadata without a signing certificate is refused, since then no response
 * could be verified.
 */
export function parseIdpMetadata(xml: string, source: string): IdpMetadata {
  const bad = (why: string) => new WardenError('bad_request', `identity.saml.idpMetadata (${source}): ${why}`);
  if (xml.length > MAX_CHARS) throw bad('the document is larger than 1 MB; is it really SAML metadata?');
  // fail closed: no DTDs at all, so no entity tricks whatever the parser would do with them.
  if (/<!DOCTYPE/i.test(xml)) throw bad('the document has a DOCTYPE; SAML metadata never needs one');
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: { warning: () => undefined, error: (m: string) => problems.push(m), fatalError: (m: string) => problems.push(m) },
  }).parseFromString(xml, 'application/xml');
  if (problems.length > 0 || doc.documentElement === null) throw bad(`not well-formed XML (${(problems[0] ?? 'no root element').slice(0, 160)})`);

  const entities = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor')).filter((e) => children(e, MD, 'IDPSSODescriptor').length > 0);
  if (entities.length !== 1) throw bad(`expected exactly one EntityDescriptor with an IDPSSODescriptor, found ${entities.length}; point it at your IdP's own metadata`);
  const entity = entities[0]!;
  const entityId = entity.getAttribute('entityID') ?? '';
  if (entityId === '') throw bad('the EntityDescriptor has no entityID');
  const idps = children(entity, MD, 'IDPSSODescriptor').filter((d) => (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2));
  if (idps.length !== 1) throw bad('expected one IDPSSODescriptor supporting SAML 2.0 (protocolSupportEnumeration)');
  const idp = idps[0]!;

  const certs = children(idp, MD, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => Array.from(k.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((c) => pem(c.textContent ?? '', bad));
  // fail closed: without a signing certificate nothing the IdP posts can be verified.
  if (certs.length === 0) throw bad('the IDPSSODescriptor has no signing certificate (KeyDescriptor use="signing" with an X509Certificate)');

  const sso = children(idp, MD, 'SingleSignOnService').filter((s) => s.getAttribute('Binding') === REDIRECT);
  const location = sso[0]?.getAttribute('Location') ?? '';
  if (location === '') throw bad('the IDPSSODescriptor has no SingleSignOnService with the HTTP-Redirect binding, which Warden sends AuthnRequests with; set identity.saml.entryPoint');
  if (!/^https?:\/\//.test(location) || !URL.canParse(location)) throw bad(`the SingleSignOnService Location "${location.slice(0, 120)}" is not an http(s) URL`);
  return { entityId, certs: [...new Set(certs)], ssoUrl: location };
}

/** Reads metadata from a file path or an http(s) URL (http only for loopback), then parses it. */
export async function loadIdpMetadata(source: string, fetchFn: typeof fetch = fetch): Promise<IdpMetadata> {
  let xml: string;
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    // fail closed: metadata carries the keys we trust; over plain http anyone on the path could swap them.
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      throw new WardenError('bad_request', `identity.saml.idpMetadata ${source}: fetch IdP metadata over https (http only for loopback)`);
    }
    let res: Response;
    try {
      res = await fetchFn(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    } catch (err) {
      throw new WardenError('upstream_unavailable', `cannot fetch identity.saml.idpMetadata ${source} (${(err as Error).message}); check the URL or save the metadata to a file`, { cause: err });
    }
    if (!res.ok) throw new WardenError('upstream_unavailable', `identity.saml.idpMetadata ${source} answered HTTP ${res.status}; check the URL or save the metadata to a file`);
    xml = await res.text();
  } else {
    try {
      xml = await readFile(source, 'utf8');
    } catch (err) {
      throw new WardenError('bad_request', `cannot read identity.saml.idpMetadata ${source} (${(err as Error).message}); point it at the IdP's metadata XML file or URL`, { cause: err });
    }
  }
  return parseIdpMetadata(xml, source);
}

function children(parent: Element, ns: string, name: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) out.push(n as Element);
  }
  return out;
}

/** base64 DER from <X509Certificate> → PEM, checked to be a certificate Node can read. */
function pem(text: string, bad: (why: string) => WardenError): string {
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad('an X509Certificate is not base64');
  try {
    new X509Certificate(Buffer.from(b64, 'base64'));
  } catch (err) {
    throw bad(`an X509Certificate cannot be read (${(err as Error).message})`);
  }
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
