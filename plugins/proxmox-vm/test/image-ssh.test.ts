import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import {
  type ProxmoxStandIn,
  run,
  runDroneStep,
  type Sshd,
  startProxmoxWithLoopbackGuests,
  testbed,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, tempWorkspace } from "./helpers.ts";

/**
 * The E2E pipeline's first and last steps with the image, the Drone way: proxmox-vm creates a
 * VM whose agent reports 127.0.0.1, waits until the sshd there answers (the test bed's, standing
 * for the guest's), the next step logs in at `PROXMOX_VM_IP`, and the cleanup step destroys it.
 */

const IMAGE = "hangar/proxmox-vm:dev";

const image = await testbed.image(IMAGE);
const sshd = image ? await testbed.sshd() : undefined;

let pve: ProxmoxStandIn;
let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
beforeEach(async () => {
  pve = await startProxmoxWithLoopbackGuests(FAST);
  workspace = await tempWorkspace();
  await chmod(workspace.dir, 0o777);
});
afterEach(async () => {
  await pve.stop();
  await workspace.remove();
});

describe.skipIf(!sshd)("the proxmox-vm image with wait_ssh", () => {
  const server = sshd as Sshd;
  afterAll(() => sshd?.stop());

  it("create with wait_ssh → SSH to PROXMOX_VM_IP → destroy always", async () => {
    const env = droneEnv(pve, {
      PLUGIN_NAME: "e2e-{{ build.number }}",
      PLUGIN_WAIT_SSH: "true",
      PLUGIN_SSH_PORT: String(server.port),
    });
    const created = await runDroneStep({ image: IMAGE, workspace: workspace.dir, env });
    expect(created.exitCode, created.stdout + created.stderr).toBe(0);
    expect(created.stdout).toContain(`VM 100 (e2e-42) answers SSH on 127.0.0.1:${server.port} (SSH-2.0-`);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.PROXMOX_VM_IP).toBe("127.0.0.1");

    const args = server.sshArgs().slice(0, -1);
    const login = await run("ssh", [
      ...args,
      `${server.username}@${outputs.PROXMOX_VM_IP}`,
      "echo",
      "guest-ok",
    ]);
    expect(login.stdout.trim()).toBe("guest-ok");

    const destroyed = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: { ...env, PLUGIN_ACTION: "destroy", DRONE_BUILD_STATUS: "failure" },
    });
    expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).toBe(0);
    expect(clones(pve)).toEqual([]);
    expect(pve.problems()).toEqual([]);
  });
});
