import { errorMessage, type Logger, mapWithLimit } from "@hangar/kit";
import { destroyVm } from "./destroy.ts";
import { isHangarVm, listVms, type VmResource } from "./inventory.ts";
import type { ProxmoxApi } from "./proxmox-client.ts";

/**
 * `reap`: destroys hangar VMs older than `ttl`, for a cron pipeline that cleans up after builds
 * that died before their destroy step. Only VMs tagged `hangar` that are not templates; the age
 * is the `hangar-created:` line the create step wrote into the description (a clone inherits its
 * template's creation time in `meta`, which says nothing about the VM). A VM without that line
 * is left alone.
 */

export function createdAt(description: string | undefined): Date | undefined {
  const stamp = /hangar-created: (\S+)/.exec(description ?? "")?.[1];
  const date = stamp ? new Date(stamp) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

export async function reapVms(
  api: ProxmoxApi,
  ttlMs: number,
  now: Date,
  remainingMs: () => number,
  log: Logger,
): Promise<{ reaped: VmResource[]; kept: number; failed: string[] }> {
  const candidates = (await listVms(api)).filter(isHangarVm);
  const reaped: VmResource[] = [];
  const failed: string[] = [];
  let kept = 0;
  await mapWithLimit(candidates, 4, async (vm) => {
    try {
      const config = await api.get<{ description?: string }>(
        `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}/config`,
      );
      const created = createdAt(config.description);
      if (!created) {
        log.warn(
          `VM ${vm.vmid} (${vm.name}) is tagged hangar but its description holds no creation time; left alone`,
        );
        kept++;
        return;
      }
      const age = now.getTime() - created.getTime();
      if (age <= ttlMs) {
        kept++;
        return;
      }
      await destroyVm(api, vm, remainingMs);
      log.info(`reaped VM ${vm.vmid} (${vm.name}) on ${vm.node}, created ${created.toISOString()}`);
      reaped.push(vm);
    } catch (error) {
      failed.push(`VM ${vm.vmid} (${vm.name}): ${errorMessage(error)}`);
    }
  });
  return { reaped, kept, failed };
}
