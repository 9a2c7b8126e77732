import { guestAddress, startProxmoxWithLoopbackGuests } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { clones, FAST, madeBy, outputs, perTestPve } from "./helpers.ts";

/** `start` and `stop`: by vmid, by name, or the VMs the create step recorded. */

const bed = perTestPve();
const { workspace } = bed;

const tasksOf = (type: string, vmid: number) =>
  bed.pve.tasks().filter((task) => task.type === type && task.id === String(vmid));

describe("proxmox-vm stop", () => {
  it("stops a running VM and returns only once the stop task ended OK", async () => {
    bed.pve.addVm({ vmid: 300, name: "e2e-7", tags: ["hangar"], running: true });
    // A stop that takes a while: the step must wait for the task, not for the call.
    bed.pve.configure({ taskMs: { qmstop: 700 } });
    const started = Date.now();
    const run = await bed.run({ PLUGIN_ACTION: "stop", PLUGIN_VMID: "300" });
    expect(run.code, run.output).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(bed.pve.vm(300)?.status).toBe("stopped");
    expect(tasksOf("qmstop", 300).map((task) => [task.status, task.exitstatus])).toEqual([["stopped", "OK"]]);
    expect(run.stdout).toContain("VM 300 (e2e-7) stopped");
    expect(run.stdout).toContain("stopped #300");
    expect(bed.pve.problems()).toEqual([]);
  });

  it("leaves an already stopped VM as it is, without a task", async () => {
    bed.pve.addVm({
      vmid: 301,
      name: "e2e-8",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 41, "e2e-8"),
    });
    const run = await bed.run({ PLUGIN_ACTION: "stop", PLUGIN_NAME: "e2e-8" });
    expect(run.code, run.output).toBe(0);
    expect(bed.pve.vm(301)?.status).toBe("stopped");
    expect(tasksOf("qmstop", 301)).toEqual([]);
    expect(bed.pve.requests().filter((each) => each.method === "POST")).toEqual([]);
  });

  it("reports a stop that Proxmox refuses with its message", async () => {
    bed.pve.addVm({ vmid: 302, name: "e2e-9", tags: ["hangar"], running: true });
    bed.pve.failNextCall(
      "POST",
      "/nodes/{node}/qemu/{vmid}/status/stop",
      "VM 302 qmp command 'quit' failed - got timeout",
    );
    const run = await bed.run({ PLUGIN_ACTION: "stop", PLUGIN_VMID: "302" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "POST /nodes/pve/qemu/302/status/stop: Proxmox answered 500 VM 302 qmp command 'quit' failed - got timeout [E_PROXMOX_API]",
    );
    expect(run.output).not.toContain("unexpected error");
    expect(bed.pve.vm(302)?.status).toBe("running");
  });
});

describe("proxmox-vm start", () => {
  it("starts a stopped VM, waits for the task and the agent, and publishes its address", async () => {
    bed.pve.addVm({
      vmid: 310,
      name: "e2e-7",
      tags: ["hangar"],
      description: madeBy("acme/calchat", 41, "e2e-7"),
    });
    bed.pve.configure({ taskMs: { qmstart: 500 }, agentDelayMs: 600 });
    const run = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_NAME: "e2e-7" });
    expect(run.code, run.output).toBe(0);
    expect(bed.pve.vm(310)?.status).toBe("running");
    expect(tasksOf("qmstart", 310).map((task) => [task.status, task.exitstatus])).toEqual([
      ["stopped", "OK"],
    ]);
    // The agent was asked until it answered: the address is the guest's, not a guess.
    expect(bed.pve.requests().some((each) => each.message === "QEMU guest agent is not running")).toBe(true);
    expect(await outputs(workspace.dir)).toMatchObject({
      PROXMOX_VM_ID: "310",
      PROXMOX_VM_NAME: "e2e-7",
      PROXMOX_VM_IP: guestAddress(310),
    });
    expect(run.stdout).toContain(`VM 310 (e2e-7) running, address ${guestAddress(310)}`);
  });

  it("does not start an already running VM again, and still publishes its address", async () => {
    bed.pve.addVm({ vmid: 311, name: "e2e-8", tags: ["hangar"] });
    expect((await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "311" })).code).toBe(0);
    const again = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "311" });
    expect(again.code, again.output).toBe(0);
    expect(tasksOf("qmstart", 311)).toHaveLength(1);
    expect((await outputs(workspace.dir)).PROXMOX_VM_IP).toBe(guestAddress(311));
  });

  it("with wait_ip: false starts without asking the agent", async () => {
    bed.pve.addVm({ vmid: 312, name: "no-agent", tags: ["hangar"], agent: false });
    const run = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "312", PLUGIN_WAIT_IP: "false" });
    expect(run.code, run.output).toBe(0);
    expect(bed.pve.vm(312)?.status).toBe("running");
    expect(bed.pve.requests().some((each) => each.route?.endsWith("network-get-interfaces"))).toBe(false);
  });

  it("a failed start task names its exit status and log tail", async () => {
    bed.pve.addVm({ vmid: 313, name: "e2e-9", tags: ["hangar"] });
    bed.pve.failNextTask("qmstart", "start failed: QEMU exited with code 1", [
      "kvm: -drive file=/dev/pve/vm-313-disk-0: Could not open: No such file or directory",
    ]);
    const run = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "313" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("starting VM 313 failed: start failed: QEMU exited with code 1");
    expect(run.stderr).toContain("Could not open: No such file or directory");
    expect(run.stderr).toContain("Task History");
    // start acts on a VM it did not make: it never destroys it.
    expect(bed.pve.vm(313)).toBeDefined();
  });

  it("a locked VM: Proxmox's refusal is reported with the lock", async () => {
    bed.pve.addVm({ vmid: 314, name: "busy", tags: ["hangar"] });
    bed.pve.lock(314, "backup");
    const run = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "314" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "POST /nodes/pve/qemu/314/status/start: Proxmox answered 500 VM is locked (backup)",
    );
    expect(bed.pve.vm(314)?.status).toBe("stopped");
  });

  it("an agent that never answers fails within timeout naming the fix, and leaves the VM running", async () => {
    bed.pve.addVm({ vmid: 315, name: "silent", tags: ["hangar"] });
    bed.pve.configure({ agentDelayMs: "never" });
    const started = Date.now();
    const run = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "315", PLUGIN_TIMEOUT: "2s" });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000 + 5000);
    expect(run.stderr).toContain("VM 315 (silent) reported no address within the timeout");
    expect(run.stderr).toContain("qemu-guest-agent");
    expect(bed.pve.vm(315)?.status).toBe("running");
  });

  it("no VM to act on, a template, a VM hangar did not make: refused, nothing started", async () => {
    bed.pve.addVm({ vmid: 320, name: "e2e-1" });
    const missing = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "999" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no VM to start: no VM 999 (already gone) [E_PROXMOX_NO_VM]");
    const template = await bed.run({ PLUGIN_ACTION: "start", PLUGIN_VMID: "9000" });
    expect(template.code).toBe(1);
    expect(template.stderr).toContain("VM 9000 (debian-12-ci) is a template; hangar never touches templates");
    const foreign = await bed.run({ PLUGIN_ACTION: "stop", PLUGIN_NAME: "e2e-1" });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("VM 320 (e2e-1) carries no hangar marker");
    expect(bed.pve.tasks().filter((task) => task.type === "qmstart" || task.type === "qmstop")).toEqual([]);
  });

  it("with neither vmid nor name and nothing recorded: a settings error before any call", async () => {
    const run = await bed.run({ PLUGIN_ACTION: "start" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("start needs vmid or name (no create step of this build recorded VMs)");
    expect(bed.pve.requests()).toEqual([]);
  });

  it("a wrong token: the 401 says which settings to check", async () => {
    bed.pve.addVm({ vmid: 321, name: "e2e-2", tags: ["hangar"] });
    const run = await bed.run({
      PLUGIN_ACTION: "start",
      PLUGIN_VMID: "321",
      PLUGIN_TOKEN_SECRET: crypto.randomUUID(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Proxmox answered 401 authentication failure [E_PROXMOX_AUTH]");
    expect(run.stderr).toContain("Check token_id/token_secret");
    expect(bed.pve.vm(321)?.status).toBe("stopped");
  });
});

describe("proxmox-vm stop then start of what create recorded", () => {
  it("stops both VMs of a count run, starts them again, and publishes their loopback addresses", async () => {
    await bed.replace(() => startProxmoxWithLoopbackGuests(FAST));
    expect((await bed.run({ PLUGIN_COUNT: "2" })).code).toBe(0);
    const stop = await bed.run({ PLUGIN_ACTION: "stop" });
    expect(stop.code, stop.output).toBe(0);
    expect(clones(bed.pve).map((vm) => [vm.vmid, vm.status])).toEqual([
      [100, "stopped"],
      [101, "stopped"],
    ]);
    const start = await bed.run({ PLUGIN_ACTION: "start" });
    expect(start.code, start.output).toBe(0);
    expect(clones(bed.pve).map((vm) => vm.status)).toEqual(["running", "running"]);
    expect(await outputs(workspace.dir)).toMatchObject({
      PROXMOX_VM_IDS: "100,101",
      PROXMOX_VM_IPS: "127.0.0.1,127.0.0.1",
      PROXMOX_VM_IP: "127.0.0.1",
    });
    expect(bed.pve.problems()).toEqual([]);
  });
});
