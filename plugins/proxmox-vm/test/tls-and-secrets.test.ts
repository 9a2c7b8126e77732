import { X509Certificate } from "node:crypto";
import { againstEchoingServer, startHostileServer } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { clones, tlsPve } from "./helpers.ts";

const bed = tlsPve();

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("proxmox-vm TLS", () => {
  it("refuses Proxmox's own-CA certificate by default, naming ca_cert and fingerprint", async () => {
    const run = await bed.run({ PLUGIN_DRY_RUN: "false" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("E_PROXMOX_TLS");
    expect(run.stderr).toContain("ca_cert");
    expect(bed.pve.requests()).toEqual([]);
  });

  it("trusts ca_cert, and a pinned SHA-256 fingerprint as the GUI shows it", async () => {
    const withCa = await bed.run({ PLUGIN_CA_CERT: bed.certificate.caPem, PLUGIN_NAME: "tls-ca" });
    expect(withCa.code, withCa.output).toBe(0);
    const pinned = await bed.run({
      PLUGIN_FINGERPRINT: fingerprintOf(bed.certificate.certPem),
      PLUGIN_NAME: "tls-pin",
    });
    expect(pinned.code, pinned.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["tls-ca", "tls-pin"]);
  });

  it("sends nothing to a server whose certificate does not match the pin", async () => {
    const before = bed.pve.requests().length;
    const wrong = fingerprintOf(bed.certificate.caPem);
    const run = await bed.run({ PLUGIN_FINGERPRINT: wrong, PLUGIN_NAME: "tls-wrong" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`not the pinned ${wrong}`);
    expect(bed.pve.requests().length).toBe(before);
  });
});

describe("proxmox-vm secrets and cancels", () => {
  it("never prints the token a hostile server echoes back, in any encoding", async () => {
    const echoed = await againstEchoingServer(
      bed.pve.tokenSecret,
      (url) => bed.run({ PLUGIN_URL: url, PLUGIN_CA_CERT: bed.certificate.caPem }),
      { tls: bed.certificate },
    );
    expect(echoed.run.code).toBe(1);
    expect(echoed).toMatchObject({ secretSent: true, leaks: [] });
  });

  it("gives up on a black hole within timeout", async () => {
    const hole = await startHostileServer({ mode: "black-hole" });
    try {
      const started = Date.now();
      const run = await bed.run({ PLUGIN_URL: hole.url, PLUGIN_INSECURE: "true", PLUGIN_TIMEOUT: "2s" });
      expect(run.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(run.stderr).toMatch(/timed out|did not finish within timeout/);
    } finally {
      await hole.stop();
    }
  });

  it("a cancel during create destroys the VMs the run made", async () => {
    bed.pve.configure({ agentDelayMs: 60_000 });
    const run = await bed.runCancelledWhen(
      { PLUGIN_CA_CERT: bed.certificate.caPem, PLUGIN_NAME: "cancelled", PLUGIN_COUNT: "2" },
      "both VMs to run",
      () =>
        clones(bed.pve).filter((vm) => vm.name.startsWith("cancelled") && vm.status === "running").length >=
        2,
    );
    expect(run.code).toBe(1);
    expect(clones(bed.pve).filter((vm) => vm.name.startsWith("cancelled"))).toEqual([]);
    expect(run.output).toContain("destroyed VM");
    bed.pve.configure({ agentDelayMs: 50 });
  });
});
