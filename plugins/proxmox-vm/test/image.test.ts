import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import {
  guestAddress,
  type ProxmoxStandIn,
  runDroneStep,
  startProxmoxStandIn,
  testbed,
} from "@hangar/testbed";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, tempWorkspace } from "./helpers.ts";

const IMAGE = "hangar/proxmox-vm:dev";

const image = await testbed.image(IMAGE);

let pve: ProxmoxStandIn;
let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
beforeEach(async () => {
  pve = await startProxmoxStandIn(FAST);
  workspace = await tempWorkspace();
  // The image runs as uid 1000, as it would on a runner whose workspace it may write to.
  await chmod(workspace.dir, 0o777);
});
afterEach(async () => {
  await pve.stop();
  await workspace.remove();
});

describe.skipIf(!image)("the proxmox-vm image, run the Drone way", () => {
  it("creates the VM, hands its address to later steps, and the cleanup step destroys it", async () => {
    const env = droneEnv(pve, { PLUGIN_NAME: "e2e-{{ build.number }}" });
    const created = await runDroneStep({ image: IMAGE, workspace: workspace.dir, env });
    expect(created.exitCode, created.stdout + created.stderr).toBe(0);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.PROXMOX_VM_IP).toBe(guestAddress(100));
    expect(created.stdout + created.stderr).not.toContain(pve.tokenSecret);
    const destroyed = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: { ...env, PLUGIN_ACTION: "destroy", DRONE_BUILD_STATUS: "failure" },
    });
    expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).toBe(0);
    expect(clones(pve)).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv(pve, { PLUGIN_COUNT: "0" }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("count");
    expect(pve.requests()).toEqual([]);
  });
});
