import { describeHostKey, type HostAddress, parseHost, type SshLogins, sshLogins } from "@hangar/kit";
import type { Context, Settings } from "./settings.ts";

/** Host mode: where the Android side runs, and how the step logs in there. */
export interface HostTarget extends SshLogins {
  address: HostAddress;
  /** `host`, or an earlier proxmox-vm step's `PROXMOX_VM_IP` output. */
  from: "host" | "PROXMOX_VM_IP";
}

export async function planHost(
  settings: Settings,
  context: Context,
  host: string | undefined,
): Promise<HostTarget | undefined> {
  if (host === undefined) return undefined;
  const logins = await sshLogins(
    settings,
    context.build.workspace,
    context.log,
    "the session, the app and the test run",
  );
  return {
    ...logins,
    address: parseHost(host, settings.port) as HostAddress,
    from: settings.host ? "host" : "PROXMOX_VM_IP",
  };
}

export function describeHost(target: HostTarget | undefined): string {
  if (!target) return "on this container (local)";
  const from = target.from === "PROXMOX_VM_IP" ? " (PROXMOX_VM_IP)" : "";
  const proxy = target.proxy ? `, through ${target.proxy.username}@${target.proxy.address.label}` : "";
  return `on ${target.login.username}@${target.address.label}${from} over SSH (${describeHostKey(target.login.hostKey)}${proxy})`;
}
