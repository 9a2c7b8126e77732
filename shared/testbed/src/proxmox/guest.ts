import { createHash } from "node:crypto";
import { LOOPBACK } from "../ports.ts";

/**
 * What the QEMU guest agent inside a running clone reports. Proxmox hands the agent's
 * `guest-network-get-interfaces` answer on unchanged, wrapped as `{ result: [...] }`: every
 * interface with its name, MAC, addresses (`ip-address-type`, `ip-address`, `prefix`) and
 * counters. A real guest lists `lo` (127.0.0.1/8, ::1/128) first; here a Docker bridge comes
 * next, so only net0's MAC tells a client which interface is the VM's own.
 */

/** Where a guest's net0 address comes from: the VM id in, an IPv4 address out. */
export type GuestAddresses = (vmid: number) => string;

/** A VM's address on the test bed's pretend LAN, unique per id (not a network target here). */
export function guestAddress(id: number): string {
  return `10.${Math.floor(id / 65_536) % 256}.${Math.floor(id / 256) % 256}.${id % 256}`;
}

export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";

/**
 * A guest's own ed25519 host key, as cloud-init's first boot writes it: a well-formed public key
 * line, different for every VM id (the 32 key bytes are a hash of the id, not a real curve point:
 * nothing verifies a signature with it).
 */
export function guestHostKey(vmid: number): string {
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const point = createHash("sha256").update(`hangar-guest-${vmid}`).digest();
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(point)]);
  return `ssh-ed25519 ${blob.toString("base64")} root@vm-${vmid}\n`;
}

/** `file-read` inside a guest: the given files, else its host key; anything else is missing. */
export function guestFile(
  vmid: number,
  file: string,
  files: Record<string, string> | undefined,
): string | undefined {
  if (files) return files[file];
  return file === HOST_KEY_FILE ? guestHostKey(vmid) : undefined;
}

interface AgentAddress {
  "ip-address-type": "ipv4" | "ipv6";
  "ip-address": string;
  prefix: number;
}

const ipv4 = (address: string, prefix: number): AgentAddress => ({
  "ip-address-type": "ipv4",
  "ip-address": address,
  prefix,
});
const ipv6 = (address: string, prefix: number): AgentAddress => ({
  "ip-address-type": "ipv6",
  "ip-address": address,
  prefix,
});

function statistics(seed: number) {
  return {
    "rx-bytes": 1_843_200 + seed,
    "rx-packets": 12_480 + seed,
    "rx-errs": 0,
    "rx-dropped": 0,
    "tx-bytes": 924_160 + seed,
    "tx-packets": 8_310 + seed,
    "tx-errs": 0,
    "tx-dropped": 0,
  };
}

/** The agent's answer for a guest whose net0 has `mac` and got `address` (by DHCP or ipconfig0). */
export function agentInterfaces(vmid: number, mac: string, address: string) {
  return {
    result: [
      {
        name: "lo",
        "hardware-address": "00:00:00:00:00:00",
        "ip-addresses": [ipv4("127.0.0.1", 8), ipv6("::1", 128)],
        statistics: statistics(0),
      },
      {
        name: "docker0",
        "hardware-address": "02:42:ac:11:00:01",
        "ip-addresses": [ipv4("172.17.0.1", 16)],
        statistics: statistics(1),
      },
      {
        name: "ens18",
        "hardware-address": mac.toLowerCase(),
        "ip-addresses": [
          ipv6(`fe80::be24:11ff:fe00:${(vmid % 65_536).toString(16)}`, 64),
          // Before DHCP answered, avahi-autoipd may have put a link-local address on it.
          ipv4("169.254.10.1", 16),
          ipv4(address, address === LOOPBACK ? 8 : 24),
        ],
        statistics: statistics(vmid),
      },
    ],
  };
}
