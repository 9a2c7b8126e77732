import { randomBytes } from "node:crypto";
import { ApiFailure, type Cluster, notFound, type Vm } from "./cluster.ts";
import { isTrue } from "./formats.ts";
import { agentInterfaces, guestFile } from "./guest.ts";

/** What the stand-in answers on the calls a VM plugin makes, as qemu-server and pve-manager do. */

export type Handler = (cluster: Cluster, params: Record<string, string>, user: string) => unknown;

const vmid = (params: Record<string, string>) => Number(params.vmid);

/** The parameters a config update applies (the rest address the call). */
const NOT_CONFIG = new Set(["node", "vmid", "digest", "delete", "skiplock", "revert"]);

function cloneVm(cluster: Cluster, params: Record<string, string>, user: string): string {
  const node = params.node ?? "";
  const source = cluster.vmOn(node, vmid(params));
  const newid = Number(params.newid);
  // qemu-server looks for the id's config file on this node only; one on another node is found
  // by pmxcfs when the task writes the new config (see taken()).
  if (cluster.vms.get(newid)?.node === node)
    throw new ApiFailure(500, `unable to create VM ${newid}: config file already exists`);
  const template = source.config.template === "1";
  const full = params.full === undefined ? !template : isTrue(params.full);
  if (params.storage !== undefined && !full)
    throw new ApiFailure(400, "Parameter verification failed.", {
      storage: "parameter 'storage' not allowed for linked clones",
    });
  if (!full && !template)
    throw new ApiFailure(500, "Linked clone feature is not supported for drive 'scsi0'");
  const target = params.target ?? node;
  if (!(target in cluster.nodes)) throw new ApiFailure(500, `no such cluster node '${target}'`);
  const sourceStorage = (source.config.scsi0 ?? "").split(":")[0] ?? "";
  const storage = params.storage ?? sourceStorage;
  if (!cluster.storagesOf(target).includes(storage)) {
    if (target !== node && params.storage === undefined)
      throw new ApiFailure(500, `can't clone VM to node '${target}' (VM uses local storage)`);
    throw new ApiFailure(500, `storage '${storage}' does not exist`);
  }
  let created: Vm | undefined;
  return cluster.startTask(
    node,
    "qmclone",
    String(source.vmid),
    user,
    async (_task, sleep) => {
      await sleep(cluster.createDelayMs);
      // create_and_lock_config: the id is only taken now, not when nextid answered.
      const taken = cluster.vms.get(newid);
      if (taken?.node === node) throw new Error(`unable to create VM ${newid}: config file already exists`);
      // Another node holds the id: pmxcfs refuses a second config of one id cluster-wide when the
      // new file is renamed into place.
      if (taken)
        throw new Error(
          `close (rename) atomic file '/etc/pve/nodes/${node}/qemu-server/${newid}.conf' failed: File exists`,
        );
      const config: Record<string, string> = { ...source.config };
      delete config.template;
      config.name = params.name ?? `Copy-of-VM-${source.config.name ?? source.vmid}`;
      if (params.description !== undefined) config.description = params.description;
      config.net0 = (config.net0 ?? "").replace(
        /=([0-9A-F:]{17})/,
        `=BC:24:11:${[...randomBytes(3)].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":")}`,
      );
      const disk = full
        ? `${storage}:vm-${newid}-disk-0`
        : `${sourceStorage}:base-${source.vmid}-disk-0/vm-${newid}-disk-0`;
      config.scsi0 = `${disk},size=8G`;
      config.ide2 = `${storage}:vm-${newid}-cloudinit,media=cdrom`;
      created = { vmid: newid, node: target, config, status: "stopped", lock: "clone" };
      cluster.vms.set(newid, created);
      await sleep(Math.max(cluster.taskMs.qmclone - cluster.createDelayMs, 0));
      const lines = [
        `create ${full ? "full" : "linked"} clone of drive scsi0 (${source.config.scsi0?.split(",")[0]})`,
        `Logical volume "vm-${newid}-disk-0" created.`,
      ];
      const vm = created;
      if (cluster.lockAfterCloneMs > 0) {
        const timer = setTimeout(() => {
          if (vm.lock === "clone") vm.lock = undefined;
        }, cluster.lockAfterCloneMs);
        cluster.timers.add(timer);
      } else vm.lock = undefined;
      return lines;
    },
    // qemu-server removes a half-made clone when its task fails.
    () => {
      if (created && cluster.vms.get(newid) === created) cluster.vms.delete(newid);
    },
  );
}

function updateConfig(cluster: Cluster, params: Record<string, string>): null {
  const vm = cluster.vmOn(params.node ?? "", vmid(params));
  if (!isTrue(params.skiplock)) cluster.checkLock(vm);
  if (params.digest !== undefined && params.digest !== cluster.digest(vm))
    throw new ApiFailure(500, "detected modified configuration - file changed by other user? Try again.");
  for (const key of (params.delete ?? "").split(/[;, ]/).filter(Boolean)) delete vm.config[key];
  for (const [key, value] of Object.entries(params)) if (!NOT_CONFIG.has(key)) vm.config[key] = value;
  return null;
}

function start(cluster: Cluster, params: Record<string, string>, user: string): string {
  const vm = cluster.vmOn(params.node ?? "", vmid(params));
  if (vm.config.template === "1") throw new ApiFailure(500, "you can't start a vm if it's a template");
  if (!isTrue(params.skiplock)) cluster.checkLock(vm);
  return cluster.startTask(vm.node, "qmstart", String(vm.vmid), user, async (_task, sleep) => {
    await sleep(cluster.taskMs.qmstart);
    if (vm.status === "running") throw new Error(`VM ${vm.vmid} already running`);
    vm.status = "running";
    const agent = /^(1|enabled=1)/.test(vm.config.agent ?? "");
    vm.agentReadyAt =
      !agent || cluster.agentDelayMs === "never" ? undefined : Date.now() + cluster.agentDelayMs;
    return [vm.config.ide2 ? "generating cloud-init ISO" : ""].filter(Boolean);
  });
}

function stop(cluster: Cluster, params: Record<string, string>, user: string): string {
  const vm = cluster.vmOn(params.node ?? "", vmid(params));
  if (!isTrue(params.skiplock)) cluster.checkLock(vm);
  return cluster.startTask(vm.node, "qmstop", String(vm.vmid), user, async (_task, sleep) => {
    await sleep(cluster.taskMs.qmstop);
    vm.status = "stopped";
    vm.agentReadyAt = undefined;
    return [];
  });
}

function destroy(cluster: Cluster, params: Record<string, string>, user: string): string {
  const vm = cluster.vmOn(params.node ?? "", vmid(params));
  if (!isTrue(params.skiplock)) cluster.checkLock(vm);
  if (vm.status === "running") throw new ApiFailure(500, `VM ${vm.vmid} is running - destroy failed`);
  vm.lock = "destroyed";
  return cluster.startTask(
    vm.node,
    "qmdestroy",
    String(vm.vmid),
    user,
    async (_task, sleep) => {
      await sleep(cluster.taskMs.qmdestroy);
      cluster.vms.delete(vm.vmid);
      return [
        `Logical volume "vm-${vm.vmid}-disk-0" successfully removed.`,
        "purging VM from configurations",
      ];
    },
    () => {
      vm.lock = undefined;
    },
  );
}

/** A running VM whose agent answers, or the error Proxmox gives for any agent call. */
function withAgent(cluster: Cluster, params: Record<string, string>) {
  const vm = cluster.vmOn(params.node ?? "", vmid(params));
  if (vm.status !== "running") throw new ApiFailure(500, `VM ${vm.vmid} is not running`);
  if (!/^(1|enabled=1)/.test(vm.config.agent ?? ""))
    throw new ApiFailure(500, "No QEMU guest agent configured");
  if (vm.agentReadyAt === undefined || Date.now() < vm.agentReadyAt)
    throw new ApiFailure(500, "QEMU guest agent is not running");
  return vm;
}

/** `guest-file-open` + read through the agent; `decode` defaults to 1 (the content as text). */
function fileRead(cluster: Cluster, params: Record<string, string>): unknown {
  const vm = withAgent(cluster, params);
  const file = params.file ?? "";
  const content = guestFile(vm.vmid, file, cluster.guestFiles);
  if (content === undefined)
    throw new ApiFailure(500, `Agent error: Failed to open file '${file}': No such file or directory`);
  return { content: params.decode === "0" ? Buffer.from(content).toString("base64") : content };
}

function interfaces(cluster: Cluster, params: Record<string, string>): unknown {
  const vm = withAgent(cluster, params);
  const mac = /=([0-9A-Fa-f:]{17})/.exec(vm.config.net0 ?? "")?.[1] ?? "";
  return agentInterfaces(vm.vmid, mac, cluster.guestAddresses(vm.vmid));
}

function resources(cluster: Cluster, params: Record<string, string>): unknown[] {
  if (params.type !== undefined && params.type !== "vm") return [];
  return [...cluster.vms.values()].map((vm) => ({
    id: `qemu/${vm.vmid}`,
    type: "qemu",
    vmid: vm.vmid,
    name: vm.config.name,
    node: vm.node,
    status: vm.status,
    template: vm.config.template === "1" ? 1 : 0,
    ...(vm.config.tags ? { tags: vm.config.tags } : {}),
    ...(vm.lock ? { lock: vm.lock } : {}),
    maxcpu: Number(vm.config.cores ?? 1),
    maxmem: Number(/\d+/.exec(vm.config.memory ?? "512")?.[0] ?? 512) * 1024 * 1024,
    uptime: 0,
  }));
}

function task(cluster: Cluster, params: Record<string, string>) {
  const upid = params.upid ?? "";
  if (!/^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:[^:]*:[^:]*:[^:]+:$/.test(upid))
    throw new ApiFailure(400, "Parameter verification failed.", {
      upid: `unable to parse worker upid '${upid}'`,
    });
  const found = cluster.tasks.get(upid);
  if (!found || found.node !== params.node) throw new ApiFailure(500, `no such task`);
  return found;
}

export const HANDLERS: Record<string, Handler> = {
  "GET /version": () => ({ version: "8.4.1", release: "8.4", repoid: "2a5fa54a8503f96d" }),
  "GET /cluster/nextid": (cluster, params) => {
    if (params.vmid === undefined) return String(cluster.nextId());
    if (cluster.vms.has(Number(params.vmid)))
      throw new ApiFailure(400, "Parameter verification failed.", {
        vmid: `VM ${params.vmid} already exists`,
      });
    return params.vmid;
  },
  "GET /cluster/resources": resources,
  "POST /nodes/{node}/qemu/{vmid}/clone": cloneVm,
  "GET /nodes/{node}/qemu/{vmid}/config": (cluster, params) => {
    const vm = cluster.vmOn(params.node ?? "", vmid(params));
    return { ...vm.config, digest: cluster.digest(vm), ...(vm.lock ? { lock: vm.lock } : {}) };
  },
  "PUT /nodes/{node}/qemu/{vmid}/config": updateConfig,
  "GET /nodes/{node}/qemu/{vmid}/status/current": (cluster, params) => {
    const vm = cluster.vmOn(params.node ?? "", vmid(params));
    return {
      vmid: vm.vmid,
      name: vm.config.name,
      status: vm.status,
      qmpstatus: vm.status,
      ...(vm.lock ? { lock: vm.lock } : {}),
      ...(vm.config.tags ? { tags: vm.config.tags } : {}),
      ...(vm.config.template === "1" ? { template: 1 } : {}),
      ...(vm.config.agent ? { agent: 1 } : {}),
    };
  },
  "POST /nodes/{node}/qemu/{vmid}/status/start": start,
  "POST /nodes/{node}/qemu/{vmid}/status/stop": stop,
  "DELETE /nodes/{node}/qemu/{vmid}": destroy,
  "GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": interfaces,
  "GET /nodes/{node}/qemu/{vmid}/agent/file-read": fileRead,
  "GET /nodes/{node}/tasks/{upid}/status": (cluster, params) => {
    const found = task(cluster, params);
    return {
      upid: found.upid,
      node: found.node,
      pid: found.pid,
      pstart: found.pid * 7919,
      starttime: found.starttime,
      type: found.type,
      id: found.id,
      user: found.user,
      status: found.status,
      ...(found.status === "stopped" ? { exitstatus: found.exitstatus } : {}),
    };
  },
  "GET /nodes/{node}/tasks/{upid}/log": (cluster, params) => {
    const found = task(cluster, params);
    const start = Number(params.start ?? 0);
    const limit = Number(params.limit ?? 50);
    const lines = found.log.map((t, index) => ({ n: index + 1, t }));
    return lines.slice(start, limit === 0 ? undefined : start + limit);
  },
};

export { guestAddress } from "./guest.ts";
export { notFound };
