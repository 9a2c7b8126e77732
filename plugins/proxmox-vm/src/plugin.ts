import {
  type Card,
  HangarError,
  type Logger,
  type PluginDefinition,
  type RunResult,
  type Runtime,
} from "@hangar/kit";
import { waitForAddress } from "./address.ts";
import { createVms, type MadeVm, readyForLogin } from "./create.ts";
import { destroyVm } from "./destroy.ts";
import { checkSettings, describePlan, planVms, type VmPlan } from "./plan.ts";
import { ProxmoxApi } from "./proxmox-client.ts";
import { reapVms } from "./reap.ts";
import { type ProxmoxVmSchema, proxmoxVmSettings } from "./settings.ts";
import { resolveTargets } from "./targets.ts";
import { waitTask } from "./tasks.ts";

const CALL_TIMEOUT_MS = 30_000;

export const proxmoxVm: PluginDefinition<ProxmoxVmSchema, VmPlan> = {
  name: "proxmox-vm",
  description:
    "Test VMs on Proxmox VE: clone a template with cloud-init, start, hand on the address; destroy and reap.",
  settings: proxmoxVmSettings,
  check: checkSettings,
  plan: planVms,
  describe: describePlan,

  async run(plan, runtime): Promise<RunResult> {
    const { log, signal, cleanupSignal } = runtime;
    // `timeout` bounds the whole step; the clean-up after a failure has its own bound.
    const until = Date.now() + plan.timeoutMs;
    const stepDeadline = new AbortController();
    const timer = setTimeout(
      () =>
        stepDeadline.abort(
          new HangarError(
            "E_TIMEOUT",
            `${plan.action} did not finish within timeout (${Math.round(plan.timeoutMs / 1000)}s)`,
            {
              hint: "Raise `timeout` if the node is just slow.",
            },
          ),
        ),
      plan.timeoutMs,
    );
    // Waits end a little before the hard stop, so their own message (what was awaited) is the one reported.
    const deadline = { remainingMs: () => Math.max(until - Date.now() - 500, 1) };
    const options = {
      baseUrl: plan.baseUrl,
      auth: plan.auth,
      tls: plan.tls,
      callTimeoutMs: Math.min(CALL_TIMEOUT_MS, plan.timeoutMs),
    };
    const api = new ProxmoxApi(options, log, AbortSignal.any([signal, stepDeadline.signal]));
    try {
      switch (plan.action) {
        case "create": {
          const vms = await createVms(plan, api, api.withSignal(cleanupSignal), deadline, log);
          return created(vms);
        }
        case "destroy":
          return await destroyAction(plan, api, deadline, log);
        case "reap": {
          const result = await reapVms(api, plan.ttlMs, deadline.remainingMs, log);
          for (const line of result.failed) log.error(`could not reap ${line}`);
          return {
            ok: result.failed.length === 0,
            summary: `reaped ${result.reaped.length} VM(s) older than ${Math.round(plan.ttlMs / 60_000)} min; ${result.kept} kept${result.failed.length ? `; ${result.failed.length} failed` : ""}`,
            outputs: { ids: result.reaped.map((vm) => vm.vmid).join(",") },
          };
        }
        default:
          return await powerAction(plan, api, deadline, runtime);
      }
    } finally {
      clearTimeout(timer);
      api.close();
    }
  },
};

function created(vms: MadeVm[]): RunResult {
  const first = vms[0];
  const card: Card = {
    title: `${vms.length} Proxmox VM${vms.length === 1 ? "" : "s"} ready`,
    status: "success",
    facts: vms.map((vm) => ({
      name: vm.name,
      value: `#${vm.vmid} on ${vm.node}${vm.ip ? `, ${vm.ip}` : ""}`,
    })),
  };
  return {
    summary: `created ${vms.map((vm) => `${vm.name} (#${vm.vmid}${vm.ip ? `, ${vm.ip}` : ""})`).join(", ")}`,
    outputs: {
      id: String(first?.vmid ?? ""),
      ip: first?.ip ?? "",
      name: first?.name ?? "",
      node: first?.node ?? "",
      ids: vms.map((vm) => vm.vmid).join(","),
      ips: vms.map((vm) => vm.ip).join(","),
      names: vms.map((vm) => vm.name).join(","),
      ...(first?.hostKey
        ? { host_key: first.hostKey, host_key_fingerprint: first.hostKeyFingerprint ?? "" }
        : {}),
      vms: JSON.stringify(vms),
    },
    card,
  };
}

async function destroyAction(
  plan: VmPlan,
  api: ProxmoxApi,
  deadline: { remainingMs: () => number },
  log: Logger,
): Promise<RunResult> {
  const { vms: targets, none } = await resolveTargets(api, plan, log);
  if (targets.length === 0) {
    log.info(`nothing to destroy: ${none}`);
    return { summary: `nothing to destroy: ${none}` };
  }
  const results = await Promise.all(
    targets.map(async (vm) => {
      const outcome = await destroyVm(api, vm, deadline.remainingMs);
      log.info(
        `${outcome === "gone" ? "already gone" : "destroyed"}: VM ${vm.vmid} (${vm.name ?? ""}) on ${vm.node}`,
      );
      return vm;
    }),
  );
  return {
    summary: `destroyed ${results.map((vm) => `${vm.name ?? ""} (#${vm.vmid})`).join(", ")}`,
    card: {
      title: `Destroyed ${results.length} Proxmox VM${results.length === 1 ? "" : "s"}`,
      status: "success",
      facts: results.map((vm) => ({ name: vm.name ?? String(vm.vmid), value: `#${vm.vmid} on ${vm.node}` })),
    },
  };
}

async function powerAction(
  plan: VmPlan,
  api: ProxmoxApi,
  deadline: { remainingMs: () => number },
  runtime: Runtime,
): Promise<RunResult> {
  const { vms: targets, none } = await resolveTargets(api, plan, runtime.log);
  if (targets.length === 0) throw new HangarError("E_PROXMOX_NO_VM", `no VM to ${plan.action}: ${none}`);
  const vms: MadeVm[] = await Promise.all(
    targets.map(async (vm) => {
      const base = `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}`;
      const status = await api.get<{ status?: string }>(`${base}/status/current`);
      const want = plan.action === "start" ? "running" : "stopped";
      if (status.status !== want) {
        const upid = await api.post<string>(`${base}/status/${plan.action}`, {});
        await waitTask(
          api,
          upid,
          `${plan.action === "start" ? "starting" : "stopping"} VM ${vm.vmid}`,
          vm.node,
        );
      }
      const name = vm.name ?? "";
      const ip =
        plan.action === "start" && plan.waitIp
          ? await waitForAddress(api, { vmid: vm.vmid, node: vm.node, name }, deadline.remainingMs)
          : "";
      runtime.log.info(`VM ${vm.vmid} (${name}) ${want}${ip ? `, address ${ip}` : ""}`);
      const made = { vmid: vm.vmid, name, node: vm.node, ip };
      return ip ? { ...made, ...(await readyForLogin(plan, api, made, deadline, runtime.log)) } : made;
    }),
  );
  return plan.action === "start"
    ? created(vms)
    : { summary: `stopped ${vms.map((vm) => `#${vm.vmid}`).join(", ")}` };
}
