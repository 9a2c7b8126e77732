import {
  type PluginImage,
  pluginImage,
  run,
  type Sshd,
  startProxmoxWithLoopbackGuests,
  testbed,
} from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupStep, clones, droneEnv, perTestPve } from "./helpers.ts";

/**
 * The E2E pipeline's first and last steps with the image, the Drone way: proxmox-vm creates a
 * VM whose agent reports 127.0.0.1, waits until the sshd there answers (the test bed's, standing
 * for the guest's), the next step logs in at `PROXMOX_VM_IP`, and the cleanup step destroys it.
 */

const image = await pluginImage("hangar/proxmox-vm:dev");
const sshd = image ? await testbed.sshd() : undefined;

describe.skipIf(!sshd)("the proxmox-vm image with wait_ssh", () => {
  const server = sshd as Sshd;
  const step = image as PluginImage;
  afterAll(() => sshd?.stop());
  const bed = perTestPve(undefined, {
    start: startProxmoxWithLoopbackGuests,
    workspace: { worldWritable: true },
  });
  const { workspace } = bed;

  it("create with wait_ssh → SSH to PROXMOX_VM_IP → destroy always", async () => {
    const env = droneEnv(bed.pve, {
      PLUGIN_NAME: "e2e-{{ build.number }}",
      PLUGIN_WAIT_SSH: "true",
      PLUGIN_SSH_PORT: String(server.port),
    });
    const created = await step.run(workspace.dir, env);
    expect(created.exitCode, created.output).toBe(0);
    expect(created.stdout).toContain(`VM 100 (e2e-42) answers SSH on 127.0.0.1:${server.port} (SSH-2.0-`);
    const { outputs } = created;
    expect(outputs.PROXMOX_VM_IP).toBe("127.0.0.1");

    const args = server.sshArgs().slice(0, -1);
    const login = await run("ssh", [
      ...args,
      `${server.username}@${outputs.PROXMOX_VM_IP}`,
      "echo",
      "guest-ok",
    ]);
    expect(login.stdout.trim()).toBe("guest-ok");

    const destroyed = await step.run(workspace.dir, cleanupStep(env));
    expect(destroyed.exitCode, destroyed.output).toBe(0);
    expect(clones(bed.pve)).toEqual([]);
    expect(bed.pve.problems()).toEqual([]);
  });
});
