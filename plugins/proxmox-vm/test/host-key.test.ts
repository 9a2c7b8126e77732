import { writeFile } from "node:fs/promises";
import {
  guestHostKey,
  type ProxmoxStandIn,
  run,
  type Sshd,
  sshFingerprint,
  startProxmoxStandIn,
  startProxmoxWithLoopbackGuests,
  tempWorkspace,
  testbed,
} from "@hangar/testbed";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, outputs, runProxmoxVm } from "./helpers.ts";

/**
 * `host_key`: the new VM's SSH host key read through the guest agent (`agent/file-read`) and
 * published, so the step that logs in pins the key of this very VM instead of trusting the first
 * key the network presents.
 */
const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";
const sshd = await testbed.sshd();
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(() => sshd?.stop());

async function setUp(options: Parameters<typeof startProxmoxStandIn>[0] = {}) {
  const pve = await startProxmoxStandIn({ ...FAST, ...options });
  const workspace = await tempWorkspace("proxmox-vm");
  stops.push(() => pve.stop(), workspace.remove);
  return { pve, workspace };
}

const fileReads = (pve: ProxmoxStandIn) =>
  pve.requests().filter((each) => each.route?.endsWith("/file-read"));

describe("proxmox-vm host_key", () => {
  it("publishes the guest's ed25519 host key and its fingerprint, read through the agent", async () => {
    const { pve, workspace } = await setUp();
    const run = await runProxmoxVm(droneEnv(pve, { PLUGIN_HOST_KEY: "true" }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const line = guestHostKey(100);
    const out = await outputs(workspace.dir);
    expect(out.PROXMOX_VM_HOST_KEY).toBe(line.split(" ").slice(0, 2).join(" "));
    expect(out.PROXMOX_VM_HOST_KEY_FINGERPRINT).toBe(sshFingerprint(line));
    expect(run.stdout).toContain(`VM 100 (ci-acme-calchat-42) has SSH host key ${sshFingerprint(line)}`);
    expect(fileReads(pve).map((each) => each.params.file)).toContain(HOST_KEY_FILE);
    expect(pve.problems()).toEqual([]);
  });

  it("waits while the key file is not written yet (cloud-init's first boot), then reads it", async () => {
    const files: Record<string, string> = {};
    const { pve, workspace } = await setUp({ guestFiles: files });
    const writing = setTimeout(() => {
      files[HOST_KEY_FILE] = guestHostKey(7);
    }, 1200);
    try {
      const run = await runProxmoxVm(droneEnv(pve, { PLUGIN_HOST_KEY: "true" }), workspace.dir);
      expect(run.code, run.output).toBe(0);
      expect((await outputs(workspace.dir)).PROXMOX_VM_HOST_KEY_FINGERPRINT).toBe(
        sshFingerprint(guestHostKey(7)),
      );
      expect(
        pve.requests().some((each) => each.message.includes(`Failed to open file '${HOST_KEY_FILE}'`)),
      ).toBe(true);
    } finally {
      clearTimeout(writing);
    }
  });

  it("a key that never appears fails naming the file and what to check, and destroys the clone", async () => {
    const { pve, workspace } = await setUp({ guestFiles: {} });
    const result = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_HOST_KEY: "true", PLUGIN_TIMEOUT: "3s" }),
      workspace.dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`had no SSH host key at ${HOST_KEY_FILE} within the timeout`);
    expect(result.stderr).toContain("[E_PROXMOX_NO_HOST_KEY]");
    expect(result.stderr).toContain("host_key: false");
    expect(clones(pve)).toEqual([]);
  });

  it("a token without the file-read permission is told which one it needs, at once", async () => {
    const { pve, workspace } = await setUp();
    pve.failNextCall(
      "GET",
      "/nodes/{node}/qemu/{vmid}/agent/file-read",
      "Permission check failed (/vms/100, VM.GuestAgent.FileRead)",
    );
    const result = await runProxmoxVm(droneEnv(pve, { PLUGIN_HOST_KEY: "true" }), workspace.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("reading the VM's SSH host key was refused");
    expect(result.stderr).toContain("VM.GuestAgent.FileRead");
    expect(fileReads(pve)).toHaveLength(1);
    expect(clones(pve)).toEqual([]);
  });

  it("host_key without wait_ip is a settings error, and the dry run names the read", async () => {
    const { pve, workspace } = await setUp();
    const refused = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_HOST_KEY: "true", PLUGIN_WAIT_IP: "false" }),
      workspace.dir,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("host_key");
    expect(refused.stderr).toContain("needs wait_ip");
    const dry = await runProxmoxVm(
      droneEnv(pve, { PLUGIN_HOST_KEY: "true", PLUGIN_DRY_RUN: "true" }),
      workspace.dir,
    );
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain("then its SSH host key (agent file-read)");
    expect(pve.requests().filter((each) => each.method !== "GET")).toEqual([]);
  });
});

describe.skipIf(!sshd)("proxmox-vm host_key, then a login that pins it", () => {
  it("the published fingerprint is the one the VM's sshd presents: ssh with StrictHostKeyChecking accepts it", async () => {
    const server = sshd as Sshd;
    const pve = await startProxmoxWithLoopbackGuests({
      ...FAST,
      guestFiles: { [HOST_KEY_FILE]: `${server.hostPublicKey} root@guest\n` },
    });
    const workspace = await tempWorkspace("proxmox-vm");
    stops.push(() => pve.stop(), workspace.remove);
    const created = await runProxmoxVm(
      droneEnv(pve, {
        PLUGIN_WAIT_SSH: "true",
        PLUGIN_SSH_PORT: String(server.port),
        PLUGIN_HOST_KEY: "true",
      }),
      workspace.dir,
    );
    expect(created.code, created.output).toBe(0);
    const out = await outputs(workspace.dir);
    expect(out.PROXMOX_VM_HOST_KEY_FINGERPRINT).toBe(server.hostKeyFingerprint);
    // A known_hosts line made from the published key alone, as the next step would pin it.
    const knownHosts = `${workspace.dir}/known_hosts`;
    await writeFile(knownHosts, `[${out.PROXMOX_VM_IP}]:${server.port} ${out.PROXMOX_VM_HOST_KEY}\n`);
    const login = await run("ssh", [
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-i",
      server.privateKeyPath,
      "-p",
      String(server.port),
      `${server.username}@${out.PROXMOX_VM_IP}`,
      "echo pinned",
    ]);
    expect(login.stdout.trim()).toBe("pinned");
  });
});
