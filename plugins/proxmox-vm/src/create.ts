import { errorMessage, HangarError, type Logger, pollUntil } from "@hangar/kit";
import { waitForAddress } from "./address.ts";
import { cloneToFreeId, IdAllocator } from "./allocate.ts";
import { destroyVm } from "./destroy.ts";
import { readHostKey } from "./host-key.ts";
import { listVms, resolveTemplate } from "./inventory.ts";
import { describeVm, readMarkers, whose } from "./ownership.ts";
import type { VmPlan } from "./plan.ts";
import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";
import { waitForSsh } from "./ssh-wait.ts";
import { TaskFailed, waitTask } from "./tasks.ts";

/**
 * `create`: resolve the template, replace VMs of the same names from an earlier run, then for
 * each name in parallel: clone to a free id, set cloud-init and sizing once the clone's lock is
 * gone, start, wait for the address. When any of it fails (or the step is cancelled), every VM
 * this run made is destroyed before the error is reported, unless `keep_on_failure`.
 */

export interface MadeVm {
  vmid: number;
  name: string;
  node: string;
  ip: string;
  /** `ssh-ed25519 AAAA…` and its `SHA256:…`, with `host_key`. */
  hostKey?: string;
  hostKeyFingerprint?: string;
}

interface Claim {
  vmid: number;
  upid: string;
  name: string;
  node: string;
}

export interface Deadline {
  remainingMs: () => number;
}

export async function createVms(
  plan: VmPlan,
  api: ProxmoxApi,
  cleanupApi: ProxmoxApi,
  deadline: Deadline,
  log: Logger,
): Promise<MadeVm[]> {
  const template = await resolveTemplate(api, plan.template ?? "");
  if (!template.template && !plan.full)
    throw new HangarError(
      "E_PROXMOX_NOT_TEMPLATE",
      `VM ${template.vmid} (${template.name}) is not a template, and a linked clone needs one`,
      {
        hint: `Convert it (qm template ${template.vmid}) or set full_clone: true.`,
      },
    );
  const node = plan.node ?? template.node;
  await replaceEarlier(plan, api, deadline, log);

  const allocator = new IdAllocator();
  // The calls above gave the node's time: the VMs' age is counted by the cluster's clock.
  const created = Math.floor(api.serverNow().getTime() / 1000);
  const claims: Claim[] = [];
  const group = new AbortController();
  const groupApi = api.withSignal(AbortSignal.any([api.signal, group.signal]));
  // What went wrong first: the others then fail only because they were stopped.
  let cause: { error: unknown } | undefined;
  log.info(`cloning ${template.name} (${template.vmid}) on ${template.node} to ${plan.names.join(", ")}`);
  const results = await Promise.allSettled(
    plan.names.map(async (name) => {
      try {
        return await createOne(plan, groupApi, {
          allocator,
          created,
          claims,
          template,
          node,
          name,
          deadline,
          log,
        });
      } catch (error) {
        // One failed: the others stop too, and everything is cleaned up together.
        if (!group.signal.aborted) {
          cause = { error };
          group.abort(error);
        }
        throw error;
      }
    }),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (!failure) return results.map((result) => (result as PromiseFulfilledResult<MadeVm>).value);
  const error = cause ? cause.error : (failure as PromiseRejectedResult).reason;
  if (plan.keepOnFailure) {
    log.warn(
      `keep_on_failure: leaving ${claims.map((claim) => `VM ${claim.vmid} (${claim.name})`).join(", ") || "nothing"} in place`,
    );
  } else await cleanUp(cleanupApi, claims, log);
  throw error;
}

interface OneVm {
  allocator: IdAllocator;
  /** The marker's `created`: the Proxmox node's clock, in Unix seconds. */
  created: number;
  claims: Claim[];
  template: { vmid: number; node: string };
  node: string;
  name: string;
  deadline: Deadline;
  log: Logger;
}

async function createOne(plan: VmPlan, api: ProxmoxApi, one: OneVm): Promise<MadeVm> {
  const { template, node, name, deadline, log } = one;
  const vmid = await cloneToFreeId(api, one.allocator, {
    node: template.node,
    templateId: template.vmid,
    vmid: plan.vmid,
    params: {
      name,
      // The marker goes in with the clone itself: no moment in which the VM exists unmarked.
      description: describeVm(plan.owner, plan.names.length > 1 ? groupOf(name) : name, one.created),
      ...(plan.full ? { full: 1 } : {}),
      storage: plan.full ? plan.storage : undefined,
      pool: plan.pool,
      target: node !== template.node ? node : undefined,
    },
    onAccepted: (id, upid) => one.claims.push({ vmid: id, upid, name, node }),
  });
  log.info(`VM ${vmid} (${name}) cloned on ${node}`);
  const base = `/nodes/${encodeURIComponent(node)}/qemu/${vmid}`;
  await pollUntil(
    async () => {
      try {
        await api.put(`${base}/config`, plan.config);
        return true;
      } catch (error) {
        const message = pveMessage(error);
        // Proxmox keeps the clone's lock a moment after the task: wait it out.
        if (message && /VM is locked/.test(message)) return { pending: message.trim() };
        throw error;
      }
    },
    {
      what: `VM ${vmid} to be unlocked after its clone`,
      timeoutMs: deadline.remainingMs(),
      intervalMs: 100,
      maxIntervalMs: 2000,
      signal: api.signal,
    },
  );
  const upid = await api.post<string>(`${base}/status/start`, {});
  await waitTask(api, upid, `starting VM ${vmid} (${name})`, node);
  log.info(`VM ${vmid} (${name}) started`);
  if (!plan.waitIp) return { vmid, name, node, ip: "" };
  const ip = await waitForAddress(api, { vmid, node, name }, deadline.remainingMs);
  log.info(`VM ${vmid} (${name}) has address ${ip}`);
  return {
    vmid,
    name,
    node,
    ip,
    ...(await readyForLogin(plan, api, { vmid, node, name, ip }, deadline, log)),
  };
}

/**
 * What the step that logs in needs beyond the address, after `create` and `start` alike: sshd
 * answering (`wait_ssh`) and the host key to pin (`host_key`).
 */
export async function readyForLogin(
  plan: VmPlan,
  api: ProxmoxApi,
  vm: { vmid: number; node: string; name: string; ip: string },
  deadline: { remainingMs: () => number },
  log: Logger,
): Promise<Pick<MadeVm, "hostKey" | "hostKeyFingerprint">> {
  const label = `VM ${vm.vmid} (${vm.name})`;
  if (plan.waitSsh) {
    const target = { ip: vm.ip, port: plan.sshPort, label, timeoutMs: plan.timeoutMs };
    const banner = await waitForSsh(target, deadline.remainingMs, api.signal);
    log.info(`${label} answers SSH on ${vm.ip}:${plan.sshPort} (${banner})`);
  }
  if (!plan.hostKey) return {};
  const key = await readHostKey(api, vm, deadline.remainingMs());
  log.info(`${label} has SSH host key ${key.fingerprint}`);
  return { hostKey: key.key, hostKeyFingerprint: key.fingerprint };
}

/** `name` without the `-N` a `count` run appended: the group its marker names. */
function groupOf(name: string): string {
  return name.replace(/-\d+$/, "");
}

/**
 * A re-run of the same build replaces its VMs. A VM of one of these names that is not this
 * repository's (another repository's, or one without hangar's marker, tagged `hangar` or not) is
 * never touched: the step fails and says whose it is.
 */
async function replaceEarlier(plan: VmPlan, api: ProxmoxApi, deadline: Deadline, log: Logger): Promise<void> {
  const same = (await listVms(api)).filter((vm) => !vm.template && plan.names.includes(vm.name));
  const read = await readMarkers(api, same);
  const foreign = read.filter(({ marker }) => marker?.repo !== plan.owner.repo);
  if (foreign.length > 0)
    throw new HangarError(
      "E_PROXMOX_NAME_TAKEN",
      foreign
        .map(({ vm, marker }) =>
          marker
            ? `VM ${vm.vmid} (${vm.name}) already exists and ${whose(marker)}`
            : `VM ${vm.vmid} (${vm.name}) already exists and was not made by hangar (no hangar marker in its description)`,
        )
        .join("; "),
      {
        hint: "Choose another `name` (the default, ci-<owner>-<repository>-<build>, is one per repository and build), or remove that VM.",
      },
    );
  await Promise.all(
    read.map(async ({ vm, marker }) => {
      log.info(`replacing VM ${vm.vmid} (${vm.name}) of an earlier run (build ${marker?.build})`);
      await destroyVm(api, vm, deadline.remainingMs);
    }),
  );
}

const CLEANUP_MS = 120_000;

/** Destroys what this run made: each clone it started that succeeded and still has its name. */
async function cleanUp(api: ProxmoxApi, claims: Claim[], log: Logger): Promise<void> {
  if (claims.length === 0) return;
  const until = Date.now() + CLEANUP_MS;
  const bounded = api.withSignal(AbortSignal.any([api.signal, AbortSignal.timeout(CLEANUP_MS)]));
  const remainingMs = () => until - Date.now();
  await Promise.all(
    claims.map(async (claim) => {
      const label = `VM ${claim.vmid} (${claim.name})`;
      try {
        // A clone still running when the run stopped: its outcome says whether the VM is ours.
        await waitTask(bounded, claim.upid, `cloning to ${label}`, claim.node);
      } catch (error) {
        if (error instanceof TaskFailed) return;
        log.error(
          `could not learn whether the clone to ${label} finished (${errorMessage(error)}); check for it by hand`,
        );
        return;
      }
      try {
        const config = await bounded.get<{ name?: string }>(
          `/nodes/${encodeURIComponent(claim.node)}/qemu/${claim.vmid}/config`,
        );
        if (config.name !== claim.name) return;
        await destroyVm(bounded, claim, remainingMs);
        log.info(`destroyed ${label}, made by this run`);
      } catch (error) {
        if (/does not exist/.test(pveMessage(error) ?? "")) return;
        log.error(`could not destroy ${label}: ${errorMessage(error)}; remove it by hand`);
      }
    }),
  );
}
