import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { requireServer } from "../src/availability.ts";
import { createTlsCertificate } from "../src/certificate.ts";

describe("createTlsCertificate", () => {
  it("makes a CA-signed certificate for localhost and 127.0.0.1, and removes it", async (ctx) => {
    const tls = await requireServer("openssl", () => createTlsCertificate());
    if (!tls) return ctx.skip("openssl is not installed");
    const ca = new X509Certificate(tls.caPem);
    const cert = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkHost("example.com")).toBeUndefined();
    expect(cert.checkPrivateKey(createPrivateKey(tls.keyPem))).toBe(true);
    const other = await createTlsCertificate();
    expect(other.caPem).not.toBe(tls.caPem);
    await Promise.all([tls.remove(), other.remove()]);
    expect(existsSync(tls.caPath)).toBe(false);
  });
});
