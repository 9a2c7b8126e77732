import { X509Certificate } from "node:crypto";
import { startHostileServer } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, runCancellable, runProxmoxVm, tlsPve } from "./helpers.ts";

const bed = tlsPve();
const { workspace } = bed;

const pinnedTo = (port: number, timeout: string) =>
  droneEnv(bed.pve, {
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
      const run = await runProxmoxVm(pinnedTo(silent.port, "2s"), workspace.dir);
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
      const cancel = new AbortController();
      const running = runCancellable(pinnedTo(silent.port, "10m"), workspace.dir, cancel.signal);
      while (silent.connections === 0) await new Promise((r) => setTimeout(r, 20));
      const cancelled = Date.now();
      cancel.abort(new Error("the step was cancelled"));
      const run = await running;
      expect(run.code).toBe(1);
      expect(Date.now() - cancelled).toBeLessThan(2000);
    } finally {
      await silent.stop();
    }
  });
});
