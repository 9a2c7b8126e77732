import { describe, expect, it } from "vitest";
import { clones, madeBy, perTestPve } from "./helpers.ts";

const bed = perTestPve();

const DAY = 86_400_000;

describe("proxmox-vm destroy", () => {
  it("by name, as the seed pipeline's e2e-cleanup step does: the running VM and its count siblings", async () => {
    expect((await bed.run({ PLUGIN_NAME: "e2e-{{ build.number }}", PLUGIN_COUNT: "2" })).code).toBe(0);
    bed.pve.addVm({
      vmid: 700,
      name: "e2e-420",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 420, "e2e-420"),
    });
    const run = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_NAME: "e2e-{{ build.number }}" });
    expect(run.code, run.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["e2e-420"]);
    const deletes = bed.pve.requests().filter((each) => each.method === "DELETE");
    expect(deletes.map((each) => each.params)).toContainEqual(
      expect.objectContaining({ purge: "1", "destroy-unreferenced-disks": "1" }),
    );
  });

  it("by vmid, and with neither: the VMs the create step recorded in the workspace", async () => {
    bed.pve.addVm({ vmid: 300, name: "manual", running: true });
    const byId = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_VMID: "300" });
    expect(byId.code, byId.output).toBe(0);
    expect(bed.pve.vm(300)).toBeUndefined();
    expect((await bed.run({ PLUGIN_COUNT: "2" })).code).toBe(0);
    expect(clones(bed.pve)).toHaveLength(2);
    const recorded = await bed.run({ PLUGIN_ACTION: "destroy" });
    expect(recorded.code, recorded.output).toBe(0);
    expect(clones(bed.pve)).toEqual([]);
  });

  it("is fine when the VM is already gone, and when the create step recorded nothing", async () => {
    const gone = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_NAME: "e2e-1" });
    expect(gone.code, gone.output).toBe(0);
    expect(gone.output).toContain("nothing to destroy");
    const none = await bed.run({ PLUGIN_ACTION: "destroy" });
    expect(none.code, none.output).toBe(0);
  });

  it("never destroys a template or, by name, a VM hangar did not make", async () => {
    bed.pve.addVm({ vmid: 400, name: "e2e-7" });
    const foreign = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_NAME: "e2e-7" });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("VM 400 (e2e-7) carries no hangar marker");
    const template = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_VMID: "9000" });
    expect(template.code).toBe(1);
    expect(bed.pve.vm(400)).toBeDefined();
    expect(bed.pve.vm(9000)).toBeDefined();
  });

  it("waits out a lock held by another job before destroying", async () => {
    bed.pve.addVm({ vmid: 310, name: "busy", tags: ["hangar"] });
    bed.pve.lock(310, "backup");
    setTimeout(() => bed.pve.lock(310, undefined), 700);
    const run = await bed.run({ PLUGIN_ACTION: "destroy", PLUGIN_VMID: "310" });
    expect(run.code, run.output).toBe(0);
    expect(bed.pve.vm(310)).toBeUndefined();
  });
});

describe("proxmox-vm reap", () => {
  it("destroys hangar VMs older than ttl, never untagged or unmarked VMs, templates or younger ones", async () => {
    const old = madeBy("acme/calchat", 1, "old", 2 * DAY);
    bed.pve.addVm({ vmid: 201, name: "old", tags: ["hangar"], description: old, running: true });
    bed.pve.addVm({
      vmid: 202,
      name: "young",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 2, "young", DAY / 2),
    });
    bed.pve.addVm({
      vmid: 203,
      name: "old-untagged",
      description: madeBy("acme/calchat", 3, "old-untagged", 3 * DAY),
    });
    bed.pve.addVm({ vmid: 204, name: "old-template", template: true, tags: ["hangar"], description: old });
    bed.pve.addVm({ vmid: 205, name: "no-marker", tags: ["hangar"] });
    bed.pve.addVm({
      vmid: 206,
      name: "other-repo",
      tags: ["hangar"],
      description: madeBy("acme/billing", 9, "other-repo", 2 * DAY),
    });
    const run = await bed.run({ PLUGIN_ACTION: "reap", PLUGIN_TTL: "24h" });
    expect(run.code, run.output).toBe(0);
    expect(bed.pve.vms().map((vm) => vm.vmid)).toEqual([202, 203, 204, 205, 9000]);
    expect(run.output).toContain("reaped VM 201 (old) of acme/calchat build 1");
    expect(run.output).toContain("reaped VM 206 (other-repo) of acme/billing build 9");
    expect(run.output).toContain(
      "VM 205 (no-marker) is tagged hangar but carries no hangar marker; left alone",
    );
  });

  it("measures a VM's age by the Proxmox clock, whatever the runners' clocks say", async () => {
    // The marker's time is the cluster's at the clone; the age is the cluster's time since. A
    // runner whose clock is off (here: this one, standing still) changes nothing.
    expect((await bed.run({ PLUGIN_WAIT_IP: "false" })).code).toBe(0);
    const reap = () => bed.run({ PLUGIN_ACTION: "reap", PLUGIN_TTL: "24h" });
    const young = await reap();
    expect(young.code, young.output).toBe(0);
    expect(clones(bed.pve)).toHaveLength(1);
    // Two days later on the cluster, while this runner's clock stands still.
    bed.pve.configure({ clockOffsetMs: 2 * DAY });
    const old = await reap();
    expect(old.code, old.output).toBe(0);
    expect(old.output).toContain("reaped VM 100 (ci-acme-calchat-42) of acme/calchat build 42");
    expect(clones(bed.pve)).toEqual([]);
  });
});
