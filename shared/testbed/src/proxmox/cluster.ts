import { createHash, randomBytes } from "node:crypto";
import { type GuestAddresses, guestAddress } from "./guest.ts";
import type { ProxmoxStandInOptions, SeedVm, TaskSnapshot, TaskType, VmSnapshot } from "./options.ts";

/**
 * The state of a small Proxmox VE cluster: VMs with their configs, locks and power state, tasks
 * with UPIDs and logs, and guest agents that answer some time after boot. Behaviour follows
 * qemu-server where clients trip: a clone is a task that writes the new config some time after
 * the call returned (so `/cluster/nextid` hands the same id to two callers), the new VM stays
 * locked while the clone runs, and every write is a task that can end in error.
 */

export class ApiFailure extends Error {
  readonly status: number;
  readonly errors: Record<string, string> | undefined;

  constructor(status: number, message: string, errors?: Record<string, string>) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

export interface Vm {
  vmid: number;
  node: string;
  config: Record<string, string>;
  status: "running" | "stopped";
  lock?: string | undefined;
  agentReadyAt?: number | undefined;
}

interface Task extends TaskSnapshot {
  user: string;
  starttime: number;
  pid: number;
}

const DEFAULT_TASK_MS: Record<TaskType, number> = { qmclone: 150, qmstart: 80, qmstop: 50, qmdestroy: 60 };

function hex(value: number, width = 8): string {
  return value.toString(16).toUpperCase().padStart(width, "0");
}

function mac(): string {
  return ["BC", "24", "11", ...[...randomBytes(3)].map((byte) => hex(byte, 2))].join(":");
}

/** A fixed guest address for every VM, a function of the id, or the default 10.x per id. */
export function addressesOf(option: string | GuestAddresses | undefined): GuestAddresses {
  if (option === undefined) return guestAddress;
  return typeof option === "string" ? () => option : option;
}

export const notFound = (node: string, vmid: number) =>
  new ApiFailure(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);

export class Cluster {
  readonly vms = new Map<number, Vm>();
  readonly tasks = new Map<string, Task>();
  readonly nodes: Record<string, string[]>;
  readonly shared: string[];
  readonly timers = new Set<NodeJS.Timeout>();
  taskMs: Record<TaskType, number>;
  agentDelayMs: number | "never";
  lockAfterCloneMs: number;
  createDelayMs: number;
  guestAddresses: GuestAddresses;
  /** How far the nodes' clock is ahead of this machine's (behind, when negative). */
  clockOffsetMs: number;
  readonly guestFiles: Record<string, string> | undefined;
  readonly #failures = new Map<TaskType, { message: string; log: string[] }>();
  #pid = 4000;

  constructor(options: ProxmoxStandInOptions) {
    this.nodes = options.nodes ?? { pve: ["local", "local-lvm"] };
    this.shared = options.sharedStorages ?? [];
    this.taskMs = { ...DEFAULT_TASK_MS, ...options.taskMs };
    this.agentDelayMs = options.agentDelayMs ?? 100;
    this.lockAfterCloneMs = options.lockAfterCloneMs ?? 0;
    this.createDelayMs = options.createDelayMs ?? 20;
    this.guestAddresses = addressesOf(options.guestAddress);
    this.guestFiles = options.guestFiles;
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    const first = Object.keys(this.nodes)[0] ?? "pve";
    for (const seed of options.vms ?? [{ vmid: 9000, name: "debian-12-ci", template: true }])
      this.add({ node: first, ...seed });
  }

  add(seed: SeedVm): void {
    const node = seed.node ?? Object.keys(this.nodes)[0] ?? "pve";
    const storage = seed.storage ?? "local-lvm";
    const prefix = seed.template ? "base" : "vm";
    const config: Record<string, string> = {
      name: seed.name,
      cores: "2",
      memory: "2048",
      ostype: "l26",
      scsihw: "virtio-scsi-single",
      scsi0: `${storage}:${prefix}-${seed.vmid}-disk-0,size=8G`,
      ide2: `${storage}:${prefix}-${seed.vmid}-cloudinit,media=cdrom`,
      net0: `virtio=${mac()},bridge=vmbr0`,
      boot: "order=scsi0",
      meta: `creation-qemu=9.0.2,ctime=${Math.floor(Date.now() / 1000) - 86_400 * 30}`,
      smbios1: `uuid=${randomBytes(16).toString("hex")}`,
    };
    if (seed.agent !== false) config.agent = "1";
    if (seed.template) config.template = "1";
    if (seed.tags?.length) config.tags = seed.tags.join(";");
    if (seed.description) config.description = seed.description;
    this.vms.set(seed.vmid, { vmid: seed.vmid, node, config, status: seed.running ? "running" : "stopped" });
  }

  failNextTask(type: TaskType, message: string, log: string[]): void {
    this.#failures.set(type, { message, log });
  }

  vmOn(node: string, vmid: number): Vm {
    const vm = this.vms.get(vmid);
    if (!vm || vm.node !== node) throw notFound(node, vmid);
    return vm;
  }

  checkLock(vm: Vm): void {
    if (vm.lock) throw new ApiFailure(500, `VM is locked (${vm.lock})`);
  }

  /** The nodes' time, ms: what their answers' `Date` header and tasks' start times say. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  storagesOf(node: string): string[] {
    return [...(this.nodes[node] ?? []), ...this.shared];
  }

  nextId(): number {
    let id = 100;
    while (this.vms.has(id)) id++;
    return id;
  }

  /**
   * Starts a task: `work` runs after the task's duration (or at the moments it chooses with
   * `sleep`); a throw or an injected failure ends it in error with the message as exit status.
   */
  startTask(
    node: string,
    type: TaskType,
    id: string,
    user: string,
    work: (task: Task, sleep: (ms: number) => Promise<void>) => Promise<string[] | undefined>,
    onFailure?: () => void,
  ): string {
    const starttime = Math.floor(this.now() / 1000);
    const pid = this.#pid++;
    const upid = `UPID:${node}:${hex(pid)}:${hex(pid * 7919)}:${hex(starttime)}:${type}:${id}:${user}:`;
    const task: Task = { upid, node, type, id, user, starttime, pid, status: "running", log: [] };
    this.tasks.set(upid, task);
    const failure = this.#failures.get(type);
    this.#failures.delete(type);
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, ms);
        this.timers.add(timer);
      });
    (async () => {
      task.log.push(...((await work(task, sleep)) ?? []));
      if (failure) {
        task.log.push(...failure.log);
        throw new ApiFailure(500, failure.message);
      }
      task.log.push("TASK OK");
      task.exitstatus = "OK";
    })()
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        onFailure?.();
        task.log.push(`TASK ERROR: ${message}`);
        task.exitstatus = message;
      })
      .finally(() => {
        task.status = "stopped";
      });
    return upid;
  }

  snapshot(vm: Vm): VmSnapshot {
    const keys = vm.config.sshkeys;
    return {
      vmid: vm.vmid,
      node: vm.node,
      name: vm.config.name ?? "",
      template: vm.config.template === "1",
      status: vm.status,
      lock: vm.lock,
      tags: (vm.config.tags ?? "").split(/[;, ]/).filter(Boolean),
      config: { ...vm.config },
      sshkeys: keys ? decodeURIComponent(keys).split("\n").filter(Boolean) : [],
    };
  }

  digest(vm: Vm): string {
    return createHash("sha1").update(JSON.stringify(vm.config)).digest("hex");
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
