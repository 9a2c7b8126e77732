import { HangarError, type Logger } from "@hangar/kit";
import type { VmRef } from "./destroy.ts";
import { listVms, type VmResource } from "./inventory.ts";
import { readMarkers, whose } from "./ownership.ts";
import type { VmPlan } from "./plan.ts";
import type { ProxmoxApi } from "./proxmox-client.ts";

/**
 * The VMs `destroy`, `start` and `stop` act on: by `vmid` (the pipeline names that very VM), by
 * `name`, or, with neither, those an earlier step of this build recorded. A template is never a
 * target. By name and by record, only VMs whose hangar marker names this repository: a name, a
 * recorded id and the `hangar` tag can all point at a VM somebody else owns.
 */
export interface Targets {
  vms: VmRef[];
  /** Why there is nothing to act on, for the step to say. */
  none: string;
}

export async function resolveTargets(api: ProxmoxApi, plan: VmPlan, log: Logger): Promise<Targets> {
  const vms = await listVms(api);
  const onNode = (found: VmRef[]) => (plan.node ? found.filter((vm) => vm.node === plan.node) : found);
  if (plan.vmid !== undefined) {
    const vm = vms.find((each) => each.vmid === plan.vmid);
    if (vm?.template)
      throw new HangarError(
        "E_PROXMOX_TEMPLATE",
        `VM ${vm.vmid} (${vm.name}) is a template; hangar never touches templates`,
      );
    return { vms: onNode(vm ? [vm] : []), none: `no VM ${plan.vmid} (already gone)` };
  }
  const repo = plan.owner.repo;
  if (plan.names.length > 0) {
    const name = plan.names[0] ?? "";
    const sibling = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`);
    const named = vms.filter((vm) => !vm.template && (vm.name === name || sibling.test(vm.name)));
    const read = await readMarkers(api, named);
    // The exact name must be this repository's VM: anything else there is a collision to report.
    const foreign = read.filter(({ vm, marker }) => vm.name === name && marker?.repo !== repo);
    if (foreign.length > 0)
      throw new HangarError(
        "E_PROXMOX_NOT_HANGAR",
        foreign.map(({ vm, marker }) => `VM ${vm.vmid} (${vm.name}) ${whose(marker)}`).join("; "),
        {
          hint: `Only VMs hangar made for ${repo} are touched by name; give its vmid if you really mean that VM.`,
        },
      );
    // `name-N` only as a VM of the same count run (its marker's group): never `ci-web-1-5` for `ci-web-1`.
    const found = read
      .filter(({ vm, marker }) => marker?.repo === repo && (vm.name === name || marker.group === name))
      .map(({ vm }) => vm);
    return { vms: onNode(found), none: `no VM named ${name} of ${repo} (already gone)` };
  }
  const recorded = plan.recorded ?? [];
  if (recorded.length === 0)
    return { vms: [], none: "no VM named, and no earlier step of this build recorded one" };
  const live = new Map(vms.map((vm) => [vm.vmid, vm]));
  // Only a recorded VM that still has its recorded name (never an empty one): the id may have
  // been reused since.
  const candidates = recorded.flatMap((record) => {
    const vm = live.get(record.vmid);
    return vm && !vm.template && record.name !== "" && vm.name === record.name ? [vm] : [];
  });
  const found: VmResource[] = [];
  for (const { vm, marker } of await readMarkers(api, candidates)) {
    if (marker?.repo === repo) found.push(vm);
    else
      log.warn(`VM ${vm.vmid} (${vm.name}) was recorded by an earlier step but ${whose(marker)}; left alone`);
  }
  return {
    vms: onNode(found),
    none: `none of the VMs an earlier step recorded (${recorded.map((each) => each.vmid).join(", ")}) is a VM of ${repo} that is still there`,
  };
}
