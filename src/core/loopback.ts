/**
 * Whether a URL's hostname is this machine (`URL.hostname` keeps IPv6 brackets): the only place
 * plain http is let through for what must otherwise travel over TLS (an IdP's tokens, SAML
 * metadata, recordings on their way to S3), since nothing between could read or change it.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}
