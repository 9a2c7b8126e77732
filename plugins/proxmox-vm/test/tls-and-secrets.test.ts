import { X509Certificate } from "node:crypto";
import {
  createTlsCertificate,
  type ProxmoxStandIn,
  secretLeaks,
  startHostileServer,
  startProxmoxStandIn,
  type TlsCertificate,
} from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, runCancellable, runProxmoxVm, tempWorkspace } from "./helpers.ts";

let certificate: TlsCertificate;
let pve: ProxmoxStandIn;
let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
beforeAll(async () => {
  certificate = await createTlsCertificate();
  pve = await startProxmoxStandIn({ ...FAST, tls: certificate });
  workspace = await tempWorkspace();
});
afterAll(async () => {
  await pve.stop();
  await certificate.remove();
  await workspace.remove();
});

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("proxmox-vm TLS", () => {
  it("refuses Proxmox's own-CA certificate by default, naming ca_cert and fingerprint", async () => {
    const run = await runProxmoxVm(droneEnv(pve, { PLUGIN_DRY_RUN: "false" }), workspace.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("E_PROXMOX_TLS");
    expect(run.stderr).toContain("ca_cert");
    expect(pve.requests()).toEqual([]);
  });

  it("trusts ca_cert, and a pinned SHA-256 fingerprint as the GUI shows it", async () => {
    const withCa = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_CA_CERT: certificate.caPem, PLUGIN_NAME: "tls-ca" }),
      workspace.dir,
    );
    expect(withCa.code, withCa.output).toBe(0);
    const pinned = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_FINGERPRINT: fingerprintOf(certificate.certPem), PLUGIN_NAME: "tls-pin" }),
      workspace.dir,
    );
    expect(pinned.code, pinned.output).toBe(0);
    expect(clones(pve).map((vm) => vm.name)).toEqual(["tls-ca", "tls-pin"]);
  });

  it("sends nothing to a server whose certificate does not match the pin", async () => {
    const before = pve.requests().length;
    const wrong = fingerprintOf(certificate.caPem);
    const run = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_FINGERPRINT: wrong, PLUGIN_NAME: "tls-wrong" }),
      workspace.dir,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`not the pinned ${wrong}`);
    expect(pve.requests().length).toBe(before);
  });
});

describe("proxmox-vm secrets and cancels", () => {
  it("never prints the token a hostile server echoes back, in any encoding", async () => {
    const echo = await startHostileServer({ mode: "echo", status: 401, tls: certificate });
    try {
      const env = droneEnv(pve, { PLUGIN_URL: echo.url, PLUGIN_CA_CERT: certificate.caPem });
      const run = await runProxmoxVm(env, workspace.dir);
      expect(run.code).toBe(1);
      expect(echo.received.join("")).toContain(pve.tokenSecret);
      expect(secretLeaks(run.output, pve.tokenSecret)).toEqual([]);
    } finally {
      await echo.stop();
    }
  });

  it("gives up on a black hole within timeout", async () => {
    const hole = await startHostileServer({ mode: "black-hole" });
    try {
      const started = Date.now();
      const run = await runProxmoxVm(
        droneEnv(pve, { PLUGIN_URL: hole.url, PLUGIN_INSECURE: "true", PLUGIN_TIMEOUT: "2s" }),
        workspace.dir,
      );
      expect(run.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(run.stderr).toMatch(/timed out|did not finish within timeout/);
    } finally {
      await hole.stop();
    }
  });

  it("a cancel during create destroys the VMs the run made", async () => {
    pve.configure({ agentDelayMs: 60_000 });
    const cancel = new AbortController();
    const running = runCancellable(
      droneEnv(pve, { PLUGIN_CA_CERT: certificate.caPem, PLUGIN_NAME: "cancelled", PLUGIN_COUNT: "2" }),
      workspace.dir,
      cancel.signal,
    );
    while (clones(pve).filter((vm) => vm.name.startsWith("cancelled") && vm.status === "running").length < 2)
      await new Promise((r) => setTimeout(r, 50));
    cancel.abort(new Error("the step was cancelled"));
    const run = await running;
    expect(run.code).toBe(1);
    expect(clones(pve).filter((vm) => vm.name.startsWith("cancelled"))).toEqual([]);
    expect(run.output).toContain("destroyed VM");
    pve.configure({ agentDelayMs: 50 });
  });
});
