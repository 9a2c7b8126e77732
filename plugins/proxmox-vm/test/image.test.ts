import { guestAddress, type PluginImage, pluginImage } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { cleanupStep, clones, droneEnv, perTestPve } from "./helpers.ts";

const image = await pluginImage("hangar/proxmox-vm:dev");

describe.skipIf(!image)("the proxmox-vm image, run the Drone way", () => {
  const step = image as PluginImage;
  const bed = perTestPve(undefined, { workspace: { worldWritable: true } });
  const { workspace } = bed;

  it("creates the VM, hands its address to later steps, and the cleanup step destroys it", async () => {
    const env = droneEnv(bed.pve, { PLUGIN_NAME: "e2e-{{ build.number }}" });
    const created = await step.run(workspace.dir, env);
    expect(created.exitCode, created.output).toBe(0);
    expect(created.outputs.PROXMOX_VM_IP).toBe(guestAddress(100));
    expect(created.output).not.toContain(bed.pve.tokenSecret);
    const destroyed = await step.run(workspace.dir, cleanupStep(env));
    expect(destroyed.exitCode, destroyed.output).toBe(0);
    expect(clones(bed.pve)).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await step.run(workspace.dir, droneEnv(bed.pve, { PLUGIN_COUNT: "0" }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("count");
    expect(bed.pve.requests()).toEqual([]);
  });
});
