import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempWorkspace, writeStepOutputs } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, madeBy, perTestPve, runProxmoxVm } from "./helpers.ts";

/**
 * VMs belong to a repository: what proxmox-vm replaces or destroys carries its marker naming the
 * repository being built, whatever a name, a tag or an earlier step's outputs point at.
 */

const bed = perTestPve(() => ({ ...FAST, agentDelayMs: 0 }));
const { workspace } = bed;

const billing = (env: Record<string, string>) => ({
  ...env,
  DRONE_REPO: "acme/billing",
  DRONE_REPO_NAME: "billing",
  DRONE_BUILD_LINK: "https://drone.example.com/acme/billing/42",
});
const destroy = { PLUGIN_ACTION: "destroy" };
const PROD_DB = { vmid: 300, name: "prod-db", running: true } as const;

describe("proxmox-vm destroy with neither vmid nor name", () => {
  it("destroys no VM an earlier step recorded unless its marker names this repository; an empty name matches none", async () => {
    bed.pve.addVm(PROD_DB);
    bed.pve.addVm({ vmid: 301, name: "tagged", tags: ["hangar"], running: true });
    bed.pve.addVm({
      vmid: 302,
      name: "theirs",
      tags: ["hangar"],
      description: madeBy("acme/billing", 42, "theirs"),
    });
    bed.pve.addVm({
      vmid: 303,
      name: "ours",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 42, "ours"),
    });
    // Stamped as this build's outputs: any step of the build (the repository's own scripts too) can write them.
    const recorded = [
      { vmid: 300, name: "", node: "pve" },
      { vmid: 301, name: "tagged", node: "pve" },
      { vmid: 302, name: "theirs", node: "pve" },
    ];
    const env = droneEnv(bed.pve, destroy);
    await writeStepOutputs(workspace.dir, env, { PROXMOX_VM_VMS: JSON.stringify(recorded) });
    const run = await runProxmoxVm(env, workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("nothing to destroy");
    expect(run.output).toContain(
      "VM 301 (tagged) was recorded by an earlier step but carries no hangar marker",
    );
    expect(run.output).toContain(
      "VM 302 (theirs) was recorded by an earlier step but belongs to acme/billing (build 42)",
    );
    expect(clones(bed.pve).map((vm) => vm.vmid)).toEqual([300, 301, 302, 303]);
    expect(bed.pve.requests().filter((each) => each.method !== "GET")).toEqual([]);

    await writeStepOutputs(workspace.dir, env, {
      PROXMOX_VM_VMS: JSON.stringify([...recorded, { vmid: 303, name: "ours", node: "pve" }]),
    });
    const ours = await runProxmoxVm(env, workspace.dir);
    expect(ours.code, ours.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.vmid)).toEqual([300, 301, 302]);
  });

  it("a committed .hangar/outputs.json naming a VM steers nothing: nothing to destroy, exit 0", async () => {
    bed.pve.addVm(PROD_DB);
    await mkdir(path.join(workspace.dir, ".hangar"));
    await writeFile(
      path.join(workspace.dir, ".hangar", "outputs.json"),
      JSON.stringify({ PROXMOX_VM_VMS: JSON.stringify([{ vmid: 300, name: "", node: "pve" }]) }),
    );
    const run = await bed.run(destroy);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("nothing to destroy");
    expect(bed.pve.vm(300)?.status).toBe("running");
  });
});

describe("proxmox-vm names scoped to a repository", () => {
  it("two repositories' builds of the same number live side by side", async () => {
    const calchat = await bed.run();
    expect(calchat.code, calchat.output).toBe(0);
    const other = await tempWorkspace("proxmox-vm");
    try {
      const run = await runProxmoxVm(billing(droneEnv(bed.pve)), other.dir);
      expect(run.code, run.output).toBe(0);
    } finally {
      await other.remove();
    }
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["ci-acme-calchat-42", "ci-acme-billing-42"]);
  });

  it("a name taken by another repository's VM is an error that says whose it is; that VM stays", async () => {
    expect((await bed.run({ PLUGIN_NAME: "e2e-42" })).code).toBe(0);
    const run = await runProxmoxVm(billing(droneEnv(bed.pve, { PLUGIN_NAME: "e2e-42" })), workspace.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("VM 100 (e2e-42) already exists and belongs to acme/calchat (build 42)");
    const byName = await runProxmoxVm(
      billing(droneEnv(bed.pve, { ...destroy, PLUGIN_NAME: "e2e-42" })),
      workspace.dir,
    );
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain("VM 100 (e2e-42) belongs to acme/calchat (build 42)");
    expect(clones(bed.pve).map((vm) => [vm.vmid, vm.status])).toEqual([[100, "running"]]);
  });

  it("a destroy by name takes that name and its own count run's VMs, never a longer name", async () => {
    bed.pve.addVm({
      vmid: 200,
      name: "ci-web-1",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 1, "ci-web-1"),
    });
    bed.pve.addVm({
      vmid: 201,
      name: "ci-web-1-5",
      tags: ["hangar"],
      description: madeBy("acme/billing", 5, "ci-web-1-5"),
    });
    bed.pve.addVm({
      vmid: 202,
      name: "ci-web-1-7",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 7, "ci-web-1-7"),
    });
    bed.pve.addVm({ vmid: 203, name: "ci-web-1-6", tags: ["hangar"] });
    const run = await bed.run({ ...destroy, PLUGIN_NAME: "ci-web-1" });
    expect(run.code, run.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["ci-web-1-5", "ci-web-1-7", "ci-web-1-6"]);
    // A count run's VMs (`e2e-9-1`, `e2e-9-2`) go with their run's name.
    expect((await bed.run({ PLUGIN_NAME: "e2e-9", PLUGIN_COUNT: "2" })).code).toBe(0);
    const count = await bed.run({ ...destroy, PLUGIN_NAME: "e2e-9" });
    expect(count.code, count.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["ci-web-1-5", "ci-web-1-7", "ci-web-1-6"]);
  });

  it("a VM a person tagged hangar, without the marker, is never replaced or destroyed", async () => {
    bed.pve.addVm({ vmid: 400, name: "e2e-7", tags: ["hangar"], running: true });
    const replace = await bed.run({ PLUGIN_NAME: "e2e-7" });
    expect(replace.code).toBe(1);
    expect(replace.stderr).toContain("VM 400 (e2e-7) already exists and was not made by hangar");
    const byName = await bed.run({ ...destroy, PLUGIN_NAME: "e2e-7" });
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain("VM 400 (e2e-7) carries no hangar marker");
    const reap = await bed.run({ PLUGIN_ACTION: "reap", PLUGIN_TTL: "1m" });
    expect(reap.code, reap.output).toBe(0);
    expect(clones(bed.pve).map((vm) => [vm.vmid, vm.status])).toEqual([[400, "running"]]);
  });

  it("a VM of this repository that lost its tag (a cancel right after the clone) is still replaced on a re-run", async () => {
    bed.pve.addVm({
      vmid: 410,
      name: "ci-acme-calchat-42",
      description: madeBy("acme/calchat", 42, "ci-acme-calchat-42"),
    });
    const run = await bed.run();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("replacing VM 410 (ci-acme-calchat-42) of an earlier run");
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["ci-acme-calchat-42"]);
  });

  it("the default name carries the owner and stays a DNS label (63) with a long repository and count", async () => {
    const env = {
      ...droneEnv(bed.pve, { PLUGIN_DRY_RUN: "true", PLUGIN_COUNT: "12" }),
      DRONE_REPO: `${"a".repeat(40)}/${"b".repeat(40)}`,
      DRONE_REPO_OWNER: "a".repeat(40),
      DRONE_REPO_NAME: "b".repeat(40),
    };
    const run = await runProxmoxVm(env, workspace.dir);
    expect(run.code, run.output).toBe(0);
    const names = /vms:\s+(.*) \(id allocated\)/.exec(run.stdout)?.[1]?.split(", ") ?? [];
    expect(names).toHaveLength(12);
    for (const name of names) expect(name).toMatch(/^ci-a+-[a-z0-9-]*[a-z0-9]$/);
    expect(Math.max(...names.map((name) => name.length))).toBeLessThanOrEqual(63);
  });
});
