import { setTimeout as sleep } from "node:timers/promises";
import { HangarError } from "@hangar/kit";
import type { ProxmoxApi } from "./proxmox-client.ts";

/**
 * Every write of Proxmox starts a task and answers its UPID at once. Done means the task's
 * status is `stopped` with exit status `OK` (`WARNINGS: n` is success with warnings); anything
 * else failed, and the failure names the tail of the task's log, where Proxmox says why.
 */

export class TaskFailed extends HangarError {
  readonly exitstatus: string;

  constructor(what: string, exitstatus: string, tail: string[]) {
    super(
      "E_PROXMOX_TASK",
      `${what} failed: ${exitstatus}${tail.length ? `\n    ${tail.join("\n    ")}` : ""}`,
      {
        hint: "The lines above are the end of the task's log (Proxmox GUI: the node's Task History).",
      },
    );
    this.exitstatus = exitstatus;
  }
}

/** The node a UPID ran on (`UPID:pve:…`): status and log are asked there. */
export function upidNode(upid: string, fallback: string): string {
  return /^UPID:([^:]+):/.exec(upid)?.[1] ?? fallback;
}

const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 2000;
const TAIL_LINES = 8;

export async function waitTask(
  api: ProxmoxApi,
  upid: string,
  what: string,
  fallbackNode: string,
): Promise<{ warnings?: string }> {
  const node = upidNode(upid, fallbackNode);
  const base = `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`;
  // The API answers in milliseconds and most tasks take a second or two: poll fast at first,
  // then back off, so a long full clone does not cost hundreds of calls.
  let interval = FIRST_POLL_MS;
  while (true) {
    const status = await api.get<{ status: string; exitstatus?: string }>(`${base}/status`);
    if (status.status === "stopped") {
      const exit = status.exitstatus ?? "";
      if (exit === "OK") return {};
      if (exit.startsWith("WARNINGS")) return { warnings: exit };
      throw new TaskFailed(what, exit || "unknown exit status", await logTail(api, base));
    }
    // A timer rejects with a bare AbortError: end with why the wait was stopped (timeout, cancel).
    await sleep(interval, undefined, { signal: api.signal }).catch((error: unknown) => {
      throw api.signal.aborted ? api.signal.reason : error;
    });
    interval = Math.min(interval * 1.6, MAX_POLL_MS);
  }
}

async function logTail(api: ProxmoxApi, base: string): Promise<string[]> {
  try {
    const lines = await api.get<{ n: number; t: string }[]>(`${base}/log`, { start: 0, limit: 1000 });
    return lines.slice(-TAIL_LINES).map((line) => line.t);
  } catch {
    return [];
  }
}
