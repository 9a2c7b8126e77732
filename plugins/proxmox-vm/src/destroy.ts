import { pollUntil } from "@hangar/kit";
import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";
import { waitTask } from "./tasks.ts";

/**
 * Destroys a VM: stop it (a hard stop: it is a throw-away test VM), then delete it with its
 * disks and every reference (`purge`, `destroy-unreferenced-disks`). A VM that is already gone
 * is fine; a lock (a clone or backup still running) is waited out.
 */

const GONE = /does not exist|no such VM/i;
const LOCKED = /VM is locked/;

export interface VmRef {
  vmid: number;
  node: string;
  name?: string | undefined;
}

export async function destroyVm(
  api: ProxmoxApi,
  vm: VmRef,
  remainingMs: () => number,
): Promise<"destroyed" | "gone"> {
  const base = `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}`;
  const label = `VM ${vm.vmid}${vm.name ? ` (${vm.name})` : ""}`;
  return pollUntil(
    async () => {
      try {
        const status = await api.get<{ status?: string }>(`${base}/status/current`);
        if (status.status === "running") {
          const upid = await api.post<string>(`${base}/status/stop`, {});
          await waitTask(api, upid, `stopping ${label}`, vm.node);
        }
        const upid = await api.delete<string>(base, { purge: 1, "destroy-unreferenced-disks": 1 });
        await waitTask(api, upid, `destroying ${label}`, vm.node);
        return "destroyed" as const;
      } catch (error) {
        const message = pveMessage(error) ?? (error instanceof Error ? error.message : "");
        if (GONE.test(message)) return "gone" as const;
        if (LOCKED.test(message) || /is running - destroy failed/.test(message))
          return { pending: message.trim() };
        throw error;
      }
    },
    {
      what: `${label} to be unlocked for destroying`,
      timeoutMs: Math.max(remainingMs(), 1000),
      intervalMs: 250,
      maxIntervalMs: 2000,
      signal: api.signal,
    },
  );
}
