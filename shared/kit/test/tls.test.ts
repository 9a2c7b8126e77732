import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createTlsCertificate } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { trustCertificates } from "../src/tls.ts";

describe("trustCertificates", () => {
  it("makes fetch trust a private CA it refused before", async () => {
    const certificate = await createTlsCertificate();
    const server = createServer(
      { key: certificate.keyPem, cert: certificate.certPem },
      (_request, response) => response.end("trusted"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await expect(fetch(url)).rejects.toThrow();
      expect(trustCertificates(certificate.caPem)).toBe(1);
      // A new connection pool: the refused attempt's pool would keep its old trust.
      const response = await fetch(url, { headers: { connection: "close" } });
      expect(await response.text()).toBe("trusted");
    } finally {
      server.close();
      await certificate.remove();
    }
  });

  it("refuses text without a certificate", () => {
    expect(() => trustCertificates("not a certificate")).toThrow("no PEM certificate found");
  });
});
