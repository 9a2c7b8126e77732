import { fingerprintOf, HangarError, keyTypeOf, pollUntil, TimeoutError } from "@hangar/kit";
import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";

/** What cloud-init's first boot writes (ssh_genkeytypes includes ed25519 on every distribution it supports). */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";

export interface HostKey {
  /** `ssh-ed25519 AAAA…`, without the comment. */
  key: string;
  /** `SHA256:…`, for the next step's `fingerprint`. */
  fingerprint: string;
}

/**
 * The VM's SSH host key, read through the guest agent (`agent/file-read`), so the step that logs
 * in can pin it: a VM made for this build has a key nobody knows beforehand, and trusting the
 * first key the network presents is what pinning is for. Waits while the file does not exist yet
 * (cloud-init writes it during the first boot, after the agent is up).
 */
export async function readHostKey(
  api: ProxmoxApi,
  vm: { vmid: number; node: string; name: string },
  timeoutMs: number,
): Promise<HostKey> {
  const path = `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}/agent/file-read`;
  try {
    return await pollUntil(
      async () => {
        let content: string;
        try {
          content = (await api.get<{ content?: string }>(path, { file: HOST_KEY_FILE })).content ?? "";
        } catch (error) {
          const message = pveMessage(error);
          // Not written yet, or the agent restarting during the first boot: ask again.
          if (message && /No such file|not running|got timeout/i.test(message))
            return { pending: message.trim() };
          throw error;
        }
        return parseHostKey(content) ?? { pending: `${HOST_KEY_FILE} holds no ssh-ed25519 key yet` };
      },
      {
        what: `the SSH host key of VM ${vm.vmid}`,
        timeoutMs,
        intervalMs: 250,
        maxIntervalMs: 2000,
        signal: api.signal,
      },
    );
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw forbidden(error) ?? error;
    const last = error.last ?? "no answer";
    throw new HangarError(
      "E_PROXMOX_NO_HOST_KEY",
      `VM ${vm.vmid} (${vm.name}) had no SSH host key at ${HOST_KEY_FILE} within the timeout (last: ${last})`,
      {
        hint: "Does the template run sshd with an ed25519 host key (cloud-init's ssh_genkeytypes)? Or set host_key: false.",
      },
    );
  }
}

/** The first `ssh-ed25519` line of a `.pub` file, checked to be a well-formed key. */
export function parseHostKey(content: string): HostKey | undefined {
  for (const line of content.split("\n")) {
    const [type, base64] = line.trim().split(/\s+/);
    if (type !== "ssh-ed25519" || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    const blob = Buffer.from(base64, "base64");
    if (keyTypeOf(blob) !== "ssh-ed25519") continue;
    return { key: `${type} ${base64}`, fingerprint: fingerprintOf(blob) };
  }
  return undefined;
}

function forbidden(error: unknown): HangarError | undefined {
  const message = pveMessage(error);
  if (!message || !/Permission check failed|403/.test(message)) return undefined;
  return new HangarError(
    "E_PROXMOX_FORBIDDEN",
    `reading the VM's SSH host key was refused: ${message.trim()}`,
    {
      hint: "Give the token VM.GuestAgent.FileRead on the VMs (VM.Monitor before Proxmox VE 9), or set host_key: false.",
    },
  );
}
