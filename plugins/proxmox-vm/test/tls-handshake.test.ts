import { X509Certificate } from "node:crypto";
import { startHostileServer } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { tlsPve } from "./helpers.ts";

const bed = tlsPve();

const pinnedTo = (port: number, timeout: string) => ({
  PLUGIN_URL: `https://127.0.0.1:${port}`,
  PLUGIN_INSECURE: "false",
  PLUGIN_FINGERPRINT: new X509Certificate(bed.certificate.certPem).fingerprint256,
  PLUGIN_TIMEOUT: timeout,
});

describe("proxmox-vm with a pinned fingerprint", () => {
  it("gives up within timeout on a server that accepts TCP and never completes TLS", async () => {
    const silent = await startHostileServer({ mode: "black-hole" });
    try {
      const started = Date.now();
      const run = await bed.run(pinnedTo(silent.port, "2s"));
      expect(run.code, run.output).toBe(1);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(silent.connections).toBeGreaterThan(0);
      expect(run.stderr).toMatch(/did not finish within timeout|timed out/);
    } finally {
      await silent.stop();
    }
  });

  it("stops at once on a cancel while the handshake hangs", async () => {
    const silent = await startHostileServer({ mode: "black-hole" });
    try {
      const run = await bed.runCancelledWhen(
        pinnedTo(silent.port, "10m"),
        "the TLS connection",
        () => silent.connections > 0,
      );
      expect(run.code).toBe(1);
      expect(Date.now() - run.cancelledAt).toBeLessThan(2000);
    } finally {
      await silent.stop();
    }
  });
});
