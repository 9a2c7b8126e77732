import type { GuestAddresses } from "./guest.ts";

/** Options and the test-facing handle of the Proxmox VE stand-in. */

export type TaskType = "qmclone" | "qmstart" | "qmstop" | "qmdestroy";

export interface SeedVm {
  vmid: number;
  name: string;
  node?: string;
  template?: boolean;
  /** `agent: 1` in the config (default true). */
  agent?: boolean;
  tags?: string[];
  running?: boolean;
  description?: string;
  /** The storage of its disk (default `local-lvm`). */
  storage?: string;
}

export interface ProxmoxStandInOptions {
  specsDir?: string;
  /** HTTPS with this certificate (createTlsCertificate); plain HTTP otherwise. */
  tls?: { certPem: string; keyPem: string };
  /** Node name → the storages it has (default `{ pve: ["local", "local-lvm"] }`). */
  nodes?: Record<string, string[]>;
  /** Storages every node shares (a cluster's NFS or Ceph). */
  sharedStorages?: string[];
  /** The API token, `USER@REALM!TOKENID`, and its secret. */
  tokenId?: string;
  tokenSecret?: string;
  /** A user for the ticket login (`ci@pve`). */
  username?: string;
  password?: string;
  /** Seeded VMs; default one template, 9000 `debian-12-ci`, on the first node. */
  vms?: SeedVm[];
  /** How long each kind of task runs, ms (defaults: clone 150, start 80, stop 50, destroy 60). */
  taskMs?: Partial<Record<TaskType, number>>;
  /** Time after a start until the guest agent answers (default 100 ms); `never`: it never does. */
  agentDelayMs?: number | "never";
  /** A clone keeps its lock this long after its task ended (default 0). */
  lockAfterCloneMs?: number;
  /** Time inside a clone task before the new config file is written (default 20 ms). */
  createDelayMs?: number;
  /**
   * The IPv4 address each guest's agent reports on net0's interface: one for every guest, or a
   * function of the VM id. Default `guestAddress` (exported): 10.x, unique per id, and not a
   * network target here. `"127.0.0.1"` (see `startProxmoxWithLoopbackGuests`) lets a later step
   * reach "the VM" at `PROXMOX_VM_IP`: a test bed sshd stands for the guest's sshd, with
   * proxmox-vm's `ssh_port` and the next step's `port` set to that sshd's port.
   */
  guestAddress?: string | GuestAddresses;
  /**
   * Files in every guest, as the agent's `file-read` returns them (path → content). By default a
   * guest has one: an ed25519 host key at /etc/ssh/ssh_host_ed25519_key.pub, its own per VM id
   * (`guestHostKey`). A test bed sshd standing for the guest passes its `hostPublicKey` here.
   */
  guestFiles?: Record<string, string>;
  /**
   * How far the cluster's clock is ahead of this machine's, ms (behind when negative; default 0):
   * what its answers' `Date` header and its tasks' start times say. A client that measures ages
   * on its own clock gets them wrong by this much.
   */
  clockOffsetMs?: number;
}

export interface VmSnapshot {
  vmid: number;
  node: string;
  name: string;
  template: boolean;
  status: "running" | "stopped";
  lock?: string | undefined;
  tags: string[];
  /** The config as Proxmox stores it (sshkeys still percent-encoded). */
  config: Record<string, string>;
  /** sshkeys decoded: one key a line. */
  sshkeys: string[];
}

export interface ProxmoxRequest {
  method: string;
  path: string;
  /** The schema path it matched (`/nodes/{node}/qemu/{vmid}/clone`). */
  route?: string | undefined;
  /** Parameters after transport decoding (form or query), path parameters included. */
  params: Record<string, string>;
  /** The body as it arrived. */
  body: string;
  auth: "token" | "ticket" | "none";
  status: number;
  message: string;
}

export interface TaskSnapshot {
  upid: string;
  node: string;
  type: TaskType;
  id: string;
  status: "running" | "stopped";
  exitstatus?: string | undefined;
  log: string[];
}

export interface ProxmoxStandIn {
  /** `https://127.0.0.1:port` (or http). */
  url: string;
  tokenId: string;
  tokenSecret: string;
  username: string;
  password: string;
  vms(): VmSnapshot[];
  vm(vmid: number): VmSnapshot | undefined;
  tasks(): TaskSnapshot[];
  requests(): ProxmoxRequest[];
  /** The next task of this type ends in error with this message (and these log lines). */
  failNextTask(type: TaskType, message: string, log?: string[]): void;
  /** Answers the next matching call with 500 and this message in the status line. */
  failNextCall(method: string, route: string, message: string): void;
  addVm(seed: SeedVm): void;
  /** Sets a VM's lock by hand (`clone`, `backup`), as another job would. */
  lock(vmid: number, lock: string | undefined): void;
  configure(
    changes: Pick<
      ProxmoxStandInOptions,
      "taskMs" | "agentDelayMs" | "lockAfterCloneMs" | "createDelayMs" | "guestAddress" | "clockOffsetMs"
    >,
  ): void;
  /** Requests the stand-in did not handle although the schema has them, and internal errors. */
  problems(): string[];
  stop(): Promise<void>;
}
