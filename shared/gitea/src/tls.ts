import { acceptAnyCertificate, trustCertificates } from "@hangar/kit";

export interface TlsSettings {
  /** PEM certificate(s) from `ca_cert`. */
  ca?: string | undefined;
  insecure: boolean;
}

/** `ca_cert` and `insecure` apply process-wide (kit/tls.ts): to gitea-js's fetch and node:http alike. */
export function applyTls(tls: TlsSettings): void {
  if (tls.ca) trustCertificates(tls.ca);
  if (tls.insecure) acceptAnyCertificate();
}
