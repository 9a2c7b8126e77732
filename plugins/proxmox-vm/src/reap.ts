import { errorMessage, type Logger, mapWithLimit } from "@hangar/kit";
import { destroyVm } from "./destroy.ts";
import { isHangarVm, listVms, type VmResource } from "./inventory.ts";
import { readMarkers } from "./ownership.ts";
import type { ProxmoxApi } from "./proxmox-client.ts";

/**
 * `reap`: destroys hangar VMs older than `ttl`, for a cron pipeline that cleans up after builds
 * that died before their destroy step. Only VMs tagged `hangar` that are not templates and carry
 * hangar's marker (of any repository: reaping is the cluster's housekeeping); a tagged VM without
 * it is somebody's own and left alone. The age is the marker's `created`, stamped by the Proxmox
 * node's clock at the clone, against that same clock now: runners' clocks never enter into it (a
 * clone's `meta` ctime is its template's, which says nothing about the VM).
 */
export async function reapVms(
  api: ProxmoxApi,
  ttlMs: number,
  remainingMs: () => number,
  log: Logger,
): Promise<{ reaped: VmResource[]; kept: number; failed: string[] }> {
  const candidates = (await listVms(api)).filter(isHangarVm);
  const now = api.serverNow();
  if (!api.knowsServerClock)
    log.warn("the Proxmox API sent no Date header: VM ages are measured by this runner's clock");
  const reaped: VmResource[] = [];
  const failed: string[] = [];
  let kept = 0;
  await mapWithLimit(candidates, 4, async (candidate) => {
    try {
      // One VM at a time: a config this token may not read fails that VM, not the reap.
      const [read] = await readMarkers(api, [candidate]);
      if (!read) return;
      const { vm, marker } = read;
      if (!marker) {
        log.warn(`VM ${vm.vmid} (${vm.name}) is tagged hangar but carries no hangar marker; left alone`);
        kept++;
        return;
      }
      const created = new Date(marker.created * 1000);
      if (now.getTime() - created.getTime() <= ttlMs) {
        kept++;
        return;
      }
      await destroyVm(api, vm, remainingMs);
      log.info(
        `reaped VM ${vm.vmid} (${vm.name}) of ${marker.repo} build ${marker.build} on ${vm.node}, created ${created.toISOString()} by the Proxmox clock`,
      );
      reaped.push(vm);
    } catch (error) {
      failed.push(`VM ${candidate.vmid} (${candidate.name}): ${errorMessage(error)}`);
    }
  });
  return { reaped, kept, failed };
}
