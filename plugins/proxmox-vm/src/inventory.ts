import { HangarError } from "@hangar/kit";
import type { ProxmoxApi } from "./proxmox-client.ts";

/** The cluster's VMs as `/cluster/resources?type=vm` lists them. */

export interface VmResource {
  vmid: number;
  name: string;
  node: string;
  status: string;
  template: boolean;
  tags: string[];
  lock?: string | undefined;
}

export const HANGAR_TAG = "hangar";

export async function listVms(api: ProxmoxApi): Promise<VmResource[]> {
  const rows = await api.get<
    {
      type?: string;
      vmid?: number;
      name?: string;
      node?: string;
      status?: string;
      template?: number;
      tags?: string;
      lock?: string;
    }[]
  >("/cluster/resources", { type: "vm" });
  return rows
    .filter((row) => row.type === "qemu" && row.vmid !== undefined)
    .map((row) => ({
      vmid: Number(row.vmid),
      name: row.name ?? "",
      node: row.node ?? "",
      status: row.status ?? "unknown",
      template: row.template === 1,
      tags: (row.tags ?? "").split(/[;, ]/).filter(Boolean),
      lock: row.lock,
    }));
}

export function isHangarVm(vm: VmResource): boolean {
  return !vm.template && vm.tags.includes(HANGAR_TAG);
}

/** The template by id or name: exactly one must match. */
export async function resolveTemplate(api: ProxmoxApi, template: string): Promise<VmResource> {
  const vms = await listVms(api);
  const matches = /^\d+$/.test(template)
    ? vms.filter((vm) => vm.vmid === Number(template))
    : vms.filter((vm) => vm.name === template);
  if (matches.length === 0)
    throw new HangarError(
      "E_PROXMOX_NO_TEMPLATE",
      `no VM ${/^\d+$/.test(template) ? "with id" : "named"} ${template} on the cluster`,
      {
        hint: "Check `template` (an id such as 9000, or the template's name) and that the token may see it (VM.Audit).",
      },
    );
  if (matches.length > 1)
    throw new HangarError(
      "E_PROXMOX_NO_TEMPLATE",
      `${matches.length} VMs are named ${template} (${matches.map((vm) => vm.vmid).join(", ")})`,
      {
        hint: "Give `template` as the VM id.",
      },
    );
  return matches[0] as VmResource;
}
