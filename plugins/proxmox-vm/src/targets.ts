import { HangarError } from "@hangar/kit";
import type { VmRef } from "./destroy.ts";
import { HANGAR_TAG, listVms, matchesName } from "./inventory.ts";
import type { VmPlan } from "./plan.ts";
import type { ProxmoxApi } from "./proxmox-client.ts";

/**
 * The VMs `destroy`, `start` and `stop` act on: by `vmid`, by `name` (with its `-N` siblings of a
 * `count` run), or, with neither, those the create step of this build recorded. A template is
 * never a target; by name, only VMs tagged `hangar` (a name can match a VM someone else made).
 */
export async function resolveTargets(api: ProxmoxApi, plan: VmPlan): Promise<VmRef[]> {
  const vms = await listVms(api);
  let found: VmRef[];
  if (plan.vmid !== undefined) {
    const vm = vms.find((each) => each.vmid === plan.vmid);
    if (vm?.template)
      throw new HangarError(
        "E_PROXMOX_TEMPLATE",
        `VM ${vm.vmid} (${vm.name}) is a template; hangar never touches templates`,
      );
    found = vm ? [vm] : [];
  } else if (plan.names.length > 0) {
    const name = plan.names[0] ?? "";
    const matching = vms.filter((vm) => !vm.template && matchesName(vm, name));
    const foreign = matching.filter((vm) => !vm.tags.includes(HANGAR_TAG));
    if (foreign.length > 0)
      throw new HangarError(
        "E_PROXMOX_NOT_HANGAR",
        `${foreign.map((vm) => `VM ${vm.vmid} (${vm.name})`).join(", ")} matches name ${name} but was not made by hangar (no \`${HANGAR_TAG}\` tag)`,
        { hint: "Give its vmid if you really mean that VM." },
      );
    found = matching;
  } else {
    const live = new Map(vms.map((vm) => [vm.vmid, vm]));
    // Only a recorded VM that still has its recorded name: the id may have been reused since.
    found = (plan.recorded ?? []).flatMap((record) => {
      const vm = live.get(record.vmid);
      return vm && !vm.template && (record.name === "" || vm.name === record.name) ? [vm] : [];
    });
  }
  return plan.node ? found.filter((vm) => vm.node === plan.node) : found;
}
