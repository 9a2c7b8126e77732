import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";
import { TaskFailed, waitTask } from "./tasks.ts";

/**
 * VM ids, race-safe. `GET /cluster/nextid` only names the lowest free id; it reserves nothing,
 * so two builds cloning at once get the same one, and the loser's clone fails either at once
 * ("unable to create VM 123: config file already exists") or inside its task (the same message,
 * or a lock timeout on the id's config). When the winner cloned on another node of the cluster,
 * it is pmxcfs that refuses the second config of that id, as the task renames the new file into
 * place: "close (rename) atomic file '/etc/pve/nodes/pve2/qemu-server/101.conf' failed: File
 * exists". Each of these means "taken": try the next id.
 */

const TAKEN =
  /already exists|can't lock file|got timeout|close \(rename\) atomic file '[^']*\/qemu-server\/\d+\.conf' failed: File exists/;
const MAX_ATTEMPTS = 25;

export class IdAllocator {
  /** Ids this run has tried or holds: the VMs of one run never race each other for an id. */
  readonly #claimed = new Set<number>();

  async next(api: ProxmoxApi): Promise<number> {
    const free = Number(await api.get<string | number>("/cluster/nextid"));
    let id = free;
    while (this.#claimed.has(id)) id++;
    this.#claimed.add(id);
    return id;
  }
}

export function isTaken(error: unknown): boolean {
  const message = error instanceof TaskFailed ? error.exitstatus : pveMessage(error);
  return message !== undefined && TAKEN.test(message);
}

export interface CloneRequest {
  node: string;
  templateId: number;
  params: Record<string, string | number | undefined>;
  /** A fixed id (the `vmid` setting): no second try on another. */
  vmid?: number | undefined;
  /** Called as soon as Proxmox accepted a clone to this id: from here on it may exist. */
  onAccepted: (vmid: number, upid: string) => void;
}

/** Clones to a free id, moving on to the next when another build took it; resolves with the id. */
export async function cloneToFreeId(
  api: ProxmoxApi,
  allocator: IdAllocator,
  request: CloneRequest,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const id = request.vmid ?? (await allocator.next(api));
    try {
      const path = `/nodes/${encodeURIComponent(request.node)}/qemu/${request.templateId}/clone`;
      const upid = await api.post<string>(path, { ...request.params, newid: id });
      request.onAccepted(id, upid);
      await waitTask(api, upid, `cloning template ${request.templateId} to VM ${id}`, request.node);
      return id;
    } catch (error) {
      if (request.vmid !== undefined || !isTaken(error) || attempt >= MAX_ATTEMPTS) throw error;
      api.log.info(`VM id ${id} was taken by another job at the same moment; trying the next free id`);
    }
  }
}
