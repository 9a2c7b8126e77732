import { mapWithLimit } from "@hangar/kit";
import type { VmResource } from "./inventory.ts";
import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";

/**
 * Whose a VM is. The create step writes one marker line into the new VM's description, in the
 * clone call itself (so no VM of hangar's ever exists without it):
 *
 *   hangar: repo=acme/calchat build=42 created=1767268800 group=ci-acme-calchat-42
 *
 * `repo` is the repository whose build made it, `created` the Proxmox node's clock at the clone
 * (Unix seconds), `group` the name the VMs of one `create` share (`count` VMs are `<group>-N`).
 * Replacing, destroying and reaping act only on VMs with this line, and (but reap) only when it
 * names the repository being built: the `hangar` tag alone is something anybody can set.
 */

export interface Marker {
  repo: string;
  build: string;
  /** Unix seconds, by the Proxmox node's clock. */
  created: number;
  group: string;
}

/** The repository and build a step runs for. */
export interface Owner {
  repo: string;
  build: string;
  link?: string | undefined;
}

const MARKER = /^hangar: repo=([^\s/]+\/[^\s/]+) build=(\S+) created=(\d{1,12}) group=([a-z0-9][a-z0-9-]*)$/;

/** `owner/name` as Drone and Gitea spell it: what a marker can carry. */
export const REPO = /^[^\s/]+\/[^\s/]+$/;

export function markerLine(marker: Marker): string {
  return `hangar: repo=${marker.repo} build=${marker.build} created=${marker.created} group=${marker.group}`;
}

/** The new VM's description: a line for people, and the marker. */
export function describeVm(owner: Owner, group: string, created: number): string {
  return [
    `Made by hangar (proxmox-vm) for ${owner.repo} build ${owner.build}${owner.link ? `: ${owner.link}` : ""}`,
    markerLine({ repo: owner.repo, build: owner.build, created, group }),
  ].join("\n");
}

/** The marker in a description; none, or two that disagree, is no marker. */
export function readMarker(description: string | undefined): Marker | undefined {
  const found = (description ?? "")
    .split(/\r?\n/)
    .map((line) => MARKER.exec(line.trim()))
    .filter((match) => match !== null)
    .map(([, repo, build, created, group]) => ({
      repo: repo ?? "",
      build: build ?? "",
      created: Number(created),
      group: group ?? "",
    }));
  const [first] = found;
  if (!first || found.some((each) => markerLine(each) !== markerLine(first))) return undefined;
  return first;
}

/**
 * Each VM's marker, from its config (the resource list does not carry descriptions). A VM gone
 * since the list was read is left out.
 */
export async function readMarkers<T extends Pick<VmResource, "vmid" | "node">>(
  api: ProxmoxApi,
  vms: T[],
): Promise<{ vm: T; marker: Marker | undefined }[]> {
  const read = await mapWithLimit(vms, 4, async (vm) => {
    try {
      const config = await api.get<{ description?: string }>(
        `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}/config`,
      );
      return [{ vm, marker: readMarker(config.description) }];
    } catch (error) {
      if (/does not exist/.test(pveMessage(error) ?? "")) return [];
      throw error;
    }
  });
  return read.flat();
}

/** "belongs to acme/billing (build 42)" or "carries no hangar marker": why a VM is not this build's. */
export function whose(marker: Marker | undefined): string {
  return marker ? `belongs to ${marker.repo} (build ${marker.build})` : "carries no hangar marker";
}
