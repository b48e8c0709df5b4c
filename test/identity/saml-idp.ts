import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

/**
 * A test SAML IdP: keys, its metadata, and responses built and signed here as
 * an IdP would (xml-crypto, RSA-SHA256, exclusive c14n, enveloped signature
 * on the assertion). Not a test file; SAML tests import it.
 */
export interface IdpKeys {
  cert: string;
  key: string;
}

export const newIdpKeys = async (cn = 'idp.test'): Promise<IdpKeys> => {
  const k = await generate([{ name: 'commonName', value: cn }], { keySize: 2048 });
  return { cert: k.cert, key: k.private };
};

const der = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** An IdP EntityDescriptor: `signing` keys, optional other KeyDescriptors, an HTTP-Redirect SSO unless `sso` says otherwise. */
export function idpMetadataXml(o: { entityId: string; signing: IdpKeys[]; encryption?: IdpKeys[]; sso?: { binding: 'HTTP-Redirect' | 'HTTP-POST'; location: string }[] }): string {
  const key = (k: IdpKeys, use: string) =>
    `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der(k.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const sso = (o.sso ?? [{ binding: 'HTTP-Redirect', location: 'https://idp.test/sso' }])
    .map((s) => `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${s.binding}" Location="${s.location}"/>`)
    .join('');
  return (
    `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${o.entityId}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    o.signing.map((k) => key(k, 'signing')).join('') +
    (o.encryption ?? []).map((k) => key(k, 'encryption')).join('') +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>${sso}</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}

export interface Shape {
  inResponseTo: string;
  acs: string;
  audience: string;
  issuer: string;
  name?: string;
  groups?: string[];
  notOnOrAfter?: Date;
  id?: string;
}

export function assertionXml(s: Shape): string {
  const now = new Date();
  const exp = (s.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
  const nb = new Date(now.getTime() - 10 * 60_000).toISOString();
  const values = (s.groups ?? ['eng-dba']).map((g) => `<saml:AttributeValue>${g}</saml:AttributeValue>`).join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${s.id ?? `_a${randomBytes(8).toString('hex')}`}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${s.issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${s.name ?? 'carol'}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${exp}" Recipient="${s.acs}" InResponseTo="${s.inResponseTo}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${nb}" NotOnOrAfter="${exp}"><saml:AudienceRestriction><saml:Audience>${s.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement><saml:Attribute Name="groups">${values}</saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion>`
  );
}

export function sign(xml: string, keys: IdpKeys): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `/*[local-name(.)='Assertion'] | //*[local-name(.)='Response']/*[local-name(.)='Assertion']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: `//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** A response as the IdP posts it: the signed assertion inside an unsigned response, base64. */
export function signedResponse(s: Shape, keys: IdpKeys): string {
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(8).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${s.acs}" InResponseTo="${s.inResponseTo}">` +
    `<saml:Issuer>${s.issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${sign(assertionXml(s), keys)}</samlp:Response>`;
  return Buffer.from(xml).toString('base64');
}

/** The AuthnRequest ID in an IdP redirect URL (HTTP-Redirect binding). */
export function requestIdOf(location: string): string {
  const request = inflateRawSync(Buffer.from(new URL(location).searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  return /\sID="([^"]+)"/.exec(request)![1]!;
}
