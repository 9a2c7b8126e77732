import { isIP } from "node:net";
import { HangarError, pollUntil, TimeoutError } from "@hangar/kit";
import { type ProxmoxApi, pveMessage } from "./proxmox-client.ts";

/**
 * A VM's address, from the QEMU guest agent: the interface whose MAC is net0's, its first IPv4
 * that is not link-local. Until the guest has booted, the agent call answers 500 "QEMU guest
 * agent is not running"; a template without the agent never gets further, so that case fails
 * when the time is up naming the fix, not as a bare timeout.
 */

interface AgentInterface {
  name?: string;
  "hardware-address"?: string;
  "ip-addresses"?: { "ip-address-type"?: string; "ip-address"?: string }[];
}

export function net0Mac(net0: string | undefined): string | undefined {
  return /(?:^|,)[a-z0-9]+=([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?:,|$)/
    .exec(net0 ?? "")?.[1]
    ?.toLowerCase();
}

export function agentEnabled(agent: string | undefined): boolean {
  return /^(1|enabled=1|enabled=true|true)(,|$)/.test(agent ?? "");
}

/**
 * What the agent says comes from inside the guest, which the build's code may control: only a
 * real IPv4 address is an address. Anything else (`-oProxyCommand=…`, a host name, text with a
 * space) would become `PROXMOX_VM_IP` and the next step's SSH target; it is put in `ignored`.
 */
export function pickAddress(
  interfaces: AgentInterface[],
  mac: string | undefined,
  ignored: string[] = [],
): string | undefined {
  // net0's MAC names the VM's own interface: what the guest set there is its address, whatever
  // range it is in (`lo`, with 127.0.0.1, never carries that MAC). Only without a MAC are
  // interfaces guessed, and then a loopback address is the guest talking to itself.
  const candidates = mac
    ? interfaces.filter((each) => each["hardware-address"]?.toLowerCase() === mac)
    : interfaces.filter((each) => each.name !== "lo");
  for (const each of candidates) {
    for (const address of each["ip-addresses"] ?? []) {
      const ip = address["ip-address"] ?? "";
      if (address["ip-address-type"] !== "ipv4") continue;
      if (isIP(ip) !== 4) {
        ignored.push(ip);
        continue;
      }
      // Link-local: what the guest gives itself until DHCP answers, not yet its address.
      if (ip.startsWith("169.254.") || (!mac && ip.startsWith("127."))) continue;
      return ip;
    }
  }
  return undefined;
}

export const AGENT_FIX =
  "install qemu-guest-agent in the template (apt install qemu-guest-agent; systemctl enable qemu-guest-agent) and set `agent: 1` on it (qm set <template> --agent enabled=1)";

export async function waitForAddress(
  api: ProxmoxApi,
  vm: { vmid: number; node: string; name: string },
  remainingMs: () => number,
): Promise<string> {
  const base = `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}`;
  const config = await api.get<Record<string, string>>(`${base}/config`);
  if (!agentEnabled(config.agent))
    throw new HangarError(
      "E_PROXMOX_NO_AGENT",
      `VM ${vm.vmid} (${vm.name}) has no QEMU guest agent enabled, so its address cannot be known`,
      {
        hint: `Fix the template: ${AGENT_FIX}. Or set wait_ip: false.`,
      },
    );
  const mac = net0Mac(config.net0);
  const timeoutMs = remainingMs();
  try {
    return await pollUntil(
      async () => {
        let interfaces: AgentInterface[];
        try {
          interfaces =
            (await api.get<{ result?: AgentInterface[] }>(`${base}/agent/network-get-interfaces`)).result ??
            [];
        } catch (error) {
          const message = pveMessage(error);
          if (message === undefined) throw error;
          return { pending: message.trim() };
        }
        const ignored: string[] = [];
        const ip = pickAddress(interfaces, mac, ignored);
        if (ip) return ip;
        const unusable = ignored.map((each) => JSON.stringify(each.slice(0, 60))).join(", ");
        return {
          pending: `the agent reports no IPv4 address on net0 (${mac ?? "no MAC"}) yet${unusable ? `; ignored what is not an IP address: ${unusable}` : ""}`,
        };
      },
      {
        what: `the address of VM ${vm.vmid}`,
        timeoutMs,
        intervalMs: 250,
        maxIntervalMs: 2000,
        signal: api.signal,
      },
    );
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    const last = error.last ?? "";
    const silent = /guest agent is not running|not running/.test(last);
    throw new HangarError(
      "E_PROXMOX_NO_ADDRESS",
      `VM ${vm.vmid} (${vm.name}) reported no address within the timeout (last: ${last || "no answer"})`,
      {
        hint: silent
          ? `The guest agent never answered: ${AGENT_FIX}.`
          : "The agent answers but net0 has no IPv4: check ipconfig0 and the DHCP server on the bridge.",
      },
    );
  }
}
