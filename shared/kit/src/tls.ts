import tls from "node:tls";

/**
 * Process-wide TLS trust for a plugin's HTTPS calls (fetch and every client built on it). A
 * plugin is one short process with one server to talk to, so changing the defaults is both
 * simplest and complete: no client can be missed.
 */

/** Trusts the certificates in a PEM bundle (a private CA), besides the usual public ones. */
export function trustCertificates(pem: string): number {
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) throw new Error("no PEM certificate found");
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ...certificates]);
  return certificates.length;
}

/** Accepts any certificate: for `insecure: true`, which the plugin must announce with a warning. */
export function acceptAnyCertificate(): void {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
}
