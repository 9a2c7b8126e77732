import { guestAddress, secretLeaks, startProxmoxStandIn, tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { clones, droneEnv, FAST, outputs, perTestPve, runProxmoxVm } from "./helpers.ts";

const bed = perTestPve();
const { workspace } = bed;

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxx ci@drone";

describe("proxmox-vm create", () => {
  it("clones the template, configures cloud-init, starts it and publishes its address", async () => {
    const run = await bed.run({
      PLUGIN_NAME: "e2e-{{ build.number }}",
      PLUGIN_SSHKEYS: JSON.stringify([KEY, "ssh-rsa AAAAB3NzaC1yc2E+/= other@host"]),
      PLUGIN_CIUSER: "ci",
      PLUGIN_CORES: "4",
      PLUGIN_MEMORY: "4096",
      PLUGIN_TAGS: "CalChat,e2e",
    });
    expect(run.code, run.output).toBe(0);
    const [vm] = clones(bed.pve);
    expect(vm).toMatchObject({
      vmid: 100,
      name: "e2e-42",
      status: "running",
      tags: ["hangar", "calchat", "e2e"],
    });
    expect(vm?.sshkeys).toEqual([KEY, "ssh-rsa AAAAB3NzaC1yc2E+/= other@host"]);
    expect(vm?.config).toMatchObject({ ciuser: "ci", cores: "4", memory: "4096", ipconfig0: "ip=dhcp" });
    expect(vm?.config.description).toContain("Made by hangar (proxmox-vm) for acme/calchat build 42");
    // The marker goes in with the clone itself, before the VM exists: never a VM without it.
    const marker = /^hangar: repo=acme\/calchat build=42 created=(\d+) group=e2e-42$/m;
    const clone = bed.pve.requests().find((each) => each.route === "/nodes/{node}/qemu/{vmid}/clone");
    expect(clone?.params.description).toMatch(marker);
    const created = Number(marker.exec(vm?.config.description ?? "")?.[1]);
    expect(Math.abs(created * 1000 - Date.now())).toBeLessThan(60_000);
    const out = await outputs(workspace.dir);
    expect(out).toMatchObject({
      PROXMOX_VM_ID: "100",
      PROXMOX_VM_IP: guestAddress(100),
      PROXMOX_VM_NAME: "e2e-42",
      PROXMOX_VM_IDS: "100",
    });
    expect(JSON.parse(out.PROXMOX_VM_VMS ?? "[]")).toEqual([
      { vmid: 100, name: "e2e-42", node: "pve", ip: guestAddress(100) },
    ]);
    expect(secretLeaks(run.output, bed.pve.tokenSecret)).toEqual([]);
    expect(bed.pve.problems()).toEqual([]);
  });

  it("creates count VMs in parallel, each with its own id, name and address", async () => {
    const started = Date.now();
    const run = await bed.run({ PLUGIN_COUNT: "3", PLUGIN_NAME: "e2e" });
    expect(run.code, run.output).toBe(0);
    expect(clones(bed.pve).map((vm) => [vm.vmid, vm.name])).toEqual([
      [100, "e2e-1"],
      [101, "e2e-2"],
      [102, "e2e-3"],
    ]);
    const out = await outputs(workspace.dir);
    expect(out.PROXMOX_VM_IPS).toBe([100, 101, 102].map(guestAddress).join(","));
    expect(out.PROXMOX_VM_NAMES).toBe("e2e-1,e2e-2,e2e-3");
    // The clone tasks overlapped: three serial creates would take three times one.
    const clonesStarted = bed.pve.tasks().filter((task) => task.type === "qmclone");
    expect(clonesStarted).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("two builds allocating ids at once both succeed, with different ids", async () => {
    // A clone writes the new VM's config some time after the call (wide here for a busy machine):
    // until then nextid hands the same id to both builds.
    bed.pve.configure({ createDelayMs: 400, taskMs: { qmclone: 600 } });
    const other = await tempWorkspace("proxmox-vm");
    try {
      const [a, b] = await Promise.all([
        bed.run({ PLUGIN_NAME: "build-a", PLUGIN_COUNT: "2" }),
        runProxmoxVm(
          droneEnv(bed.pve, { PLUGIN_NAME: "build-b", PLUGIN_COUNT: "2", DRONE_BUILD_NUMBER: "43" }),
          other.dir,
        ),
      ]);
      expect(a.code, a.output).toBe(0);
      expect(b.code, b.output).toBe(0);
      const vms = clones(bed.pve);
      expect(vms.map((vm) => vm.name).sort()).toEqual(["build-a-1", "build-a-2", "build-b-1", "build-b-2"]);
      expect(new Set(vms.map((vm) => vm.vmid)).size).toBe(4);
      // Both asked nextid for the same first id: one of them had to move on.
      expect(a.output + b.output).toContain("was taken by another job");
      const ids = [(await outputs(workspace.dir)).PROXMOX_VM_IDS, (await outputs(other.dir)).PROXMOX_VM_IDS];
      expect(ids.join(",").split(",").sort()).toEqual(vms.map((vm) => String(vm.vmid)).sort());
    } finally {
      await other.remove();
    }
  });

  it("two builds cloning on two nodes at once: pmxcfs's File exists means the id was taken", async () => {
    await bed.replace(() =>
      startProxmoxStandIn({
        ...FAST,
        nodes: { pve: ["local-lvm"], pve2: ["local-lvm"] },
        vms: [
          { vmid: 9000, name: "tpl-a", template: true, node: "pve" },
          { vmid: 9001, name: "tpl-b", template: true, node: "pve2" },
        ],
        createDelayMs: 400,
        taskMs: { ...FAST.taskMs, qmclone: 600 },
      }),
    );
    const other = await tempWorkspace("proxmox-vm");
    try {
      const [a, b] = await Promise.all([
        bed.run({ PLUGIN_NAME: "build-a" }),
        runProxmoxVm(
          droneEnv(bed.pve, { PLUGIN_NAME: "build-b", PLUGIN_TEMPLATE: "9001", DRONE_BUILD_NUMBER: "43" }),
          other.dir,
        ),
      ]);
      expect(a.code, a.output).toBe(0);
      expect(b.code, b.output).toBe(0);
      expect(bed.pve.tasks().map((task) => task.exitstatus)).toContainEqual(
        expect.stringMatching(/^close \(rename\) atomic file .*qemu-server\/100\.conf' failed: File exists$/),
      );
      expect(a.output + b.output).toContain("was taken by another job");
      expect(
        clones(bed.pve)
          .map((vm) => vm.name)
          .sort(),
      ).toEqual(["build-a", "build-b"]);
    } finally {
      await other.remove();
    }
  });

  it("waits out the lock a clone leaves behind before configuring", async () => {
    bed.pve.configure({ lockAfterCloneMs: 600 });
    const run = await bed.run({ PLUGIN_CORES: "3" });
    expect(run.code, run.output).toBe(0);
    expect(clones(bed.pve)[0]?.config.cores).toBe("3");
    const locked = bed.pve.requests().filter((each) => each.message === "VM is locked (clone)");
    expect(locked.length).toBeGreaterThan(0);
  });

  it("waits for a guest agent that starts late", async () => {
    bed.pve.configure({ agentDelayMs: 1500 });
    const run = await bed.run();
    expect(run.code, run.output).toBe(0);
    expect((await outputs(workspace.dir)).PROXMOX_VM_IP).toBe(guestAddress(100));
    const notYet = bed.pve.requests().filter((each) => each.message === "QEMU guest agent is not running");
    expect(notYet.length).toBeGreaterThan(1);
  });

  it("fails within the timeout naming the fix when the agent never answers, and destroys the VM", async () => {
    bed.pve.configure({ agentDelayMs: "never" });
    const started = Date.now();
    const run = await bed.run({ PLUGIN_TIMEOUT: "3s" });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000 + 5000);
    expect(run.stderr).toContain("qemu-guest-agent");
    expect(run.stderr).toContain("`agent: 1`");
    expect(run.output).toContain("destroyed VM 100 (ci-acme-calchat-42), made by this run");
    expect(clones(bed.pve)).toEqual([]);
  });

  it("never publishes what a hostile guest agent reports as its address unless it is an IP address", async () => {
    bed.pve.configure({ guestAddress: "-oProxyCommand=touch /tmp/owned" });
    const run = await bed.run({ PLUGIN_TIMEOUT: "2s" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ignored what is not an IP address: "-oProxyCommand=touch /tmp/owned"');
    expect(await outputs(workspace.dir).catch(() => ({}))).not.toHaveProperty("PROXMOX_VM_IP");
    expect(clones(bed.pve)).toEqual([]);
  });

  it("ends a task wait that outlasts timeout with the timeout, not an abort error, and cleans up", async () => {
    bed.pve.configure({ taskMs: { qmstart: 8_000 } });
    const started = Date.now();
    const run = await bed.run({ PLUGIN_TIMEOUT: "2s" });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000 + 15_000);
    expect(run.stderr).toContain("did not finish within timeout (2s) [E_TIMEOUT]");
    expect(run.output).not.toContain("unexpected error");
  });

  it("fails at once, naming the fix, on a template without agent: 1", async () => {
    bed.pve.addVm({ vmid: 9001, name: "no-agent", template: true, agent: false });
    const run = await bed.run({ PLUGIN_TEMPLATE: "no-agent" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("has no QEMU guest agent enabled");
    expect(run.stderr).toContain("qm set <template> --agent enabled=1");
    expect(clones(bed.pve)).toEqual([]);
  });

  it("reports a failed task with its log tail and destroys every VM the run made", async () => {
    bed.pve.failNextTask("qmstart", "start failed: QEMU exited with code 1", [
      "kvm: -drive file=/dev/pve/vm-101-disk-0: Could not open: No such file or directory",
    ]);
    const run = await bed.run({ PLUGIN_COUNT: "2" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("failed: start failed: QEMU exited with code 1");
    expect(run.stderr).toContain("Could not open: No such file or directory");
    expect(run.stderr).toContain("TASK ERROR: start failed");
    expect(clones(bed.pve)).toEqual([]);
  });

  it("keeps the VMs of a failed create with keep_on_failure", async () => {
    bed.pve.failNextTask("qmstart", "start failed: QEMU exited with code 1");
    const run = await bed.run({ PLUGIN_KEEP_ON_FAILURE: "true" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("keep_on_failure: leaving VM 100 (ci-acme-calchat-42) in place");
    expect(clones(bed.pve)).toHaveLength(1);
  });

  it("a re-run of the build replaces its VM instead of making a second one", async () => {
    expect((await bed.run()).code).toBe(0);
    const run = await bed.run();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("replacing VM 100 (ci-acme-calchat-42) of an earlier run");
    expect(clones(bed.pve).map((vm) => vm.name)).toEqual(["ci-acme-calchat-42"]);
  });

  it("leaves a VM of the same name that hangar did not make alone", async () => {
    bed.pve.addVm({ vmid: 500, name: "ci-acme-calchat-42" });
    // Tagged `hangar` by a person, without the marker: just as untouchable.
    bed.pve.addVm({ vmid: 501, name: "ci-acme-calchat-42-1", tags: ["hangar"] });
    const run = await bed.run();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("VM 500 (ci-acme-calchat-42) already exists and was not made by hangar");
    const tagged = await bed.run({ PLUGIN_COUNT: "2" });
    expect(tagged.code).toBe(1);
    expect(tagged.stderr).toContain(
      "VM 501 (ci-acme-calchat-42-1) already exists and was not made by hangar",
    );
    expect(bed.pve.vm(500)).toBeDefined();
    expect(bed.pve.vm(501)).toBeDefined();
    expect(clones(bed.pve)).toHaveLength(2);
  });

  it("logs in with a password: ticket cookie and CSRF token on writes", async () => {
    const run = await bed.run({
      PLUGIN_USERNAME: bed.pve.username,
      PLUGIN_PASSWORD: bed.pve.password,
      PLUGIN_TOKEN_ID: undefined,
      PLUGIN_TOKEN_SECRET: undefined,
    });
    expect(run.code, run.output).toBe(0);
    expect(
      bed.pve
        .requests()
        .filter((each) => each.route !== "/access/ticket")
        .every((each) => each.auth === "ticket"),
    ).toBe(true);
    expect(bed.pve.requests().filter((each) => each.route === "/access/ticket")).toHaveLength(1);
    expect(secretLeaks(run.output, bed.pve.password)).toEqual([]);
  });
});
