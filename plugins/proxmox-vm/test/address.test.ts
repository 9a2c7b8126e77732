import { describe, expect, it } from "vitest";
import { net0Mac, pickAddress } from "../src/address.ts";

/**
 * The agent's `network-get-interfaces` answer as qemu-ga gives it (recorded from a Debian 12
 * cloud image guest, counters left out): `lo` first, with 127.0.0.1, then the guest's own NIC.
 */
const NET0 = "virtio=BC:24:11:5A:0F:3E,bridge=vmbr0,firewall=1";
const agentAnswer = (ens18: string[]) => [
  {
    name: "lo",
    "hardware-address": "00:00:00:00:00:00",
    "ip-addresses": [
      { "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 },
      { "ip-address-type": "ipv6", "ip-address": "::1", prefix: 128 },
    ],
  },
  {
    name: "ens18",
    "hardware-address": "bc:24:11:5a:0f:3e",
    "ip-addresses": [
      { "ip-address-type": "ipv6", "ip-address": "fe80::be24:11ff:fe5a:f3e", prefix: 64 },
      ...ens18.map((ip) => ({ "ip-address-type": "ipv4", "ip-address": ip, prefix: 24 })),
    ],
  },
];

describe("the address proxmox-vm publishes", () => {
  it("is net0's first IPv4 that is not link-local, never lo's", () => {
    const mac = net0Mac(NET0);
    expect(mac).toBe("bc:24:11:5a:0f:3e");
    expect(pickAddress(agentAnswer(["192.168.1.57"]), mac)).toBe("192.168.1.57");
    expect(pickAddress(agentAnswer(["169.254.3.9", "192.168.1.57"]), mac)).toBe("192.168.1.57");
    // Before DHCP answered: only lo has an IPv4, and that is not the VM's address.
    expect(pickAddress(agentAnswer([]), mac)).toBeUndefined();
    expect(pickAddress(agentAnswer(["169.254.3.9"]), mac)).toBeUndefined();
  });

  it("is a loopback address when the guest reports one on net0's interface", () => {
    // net0's MAC names the VM's NIC, so what is set there is the guest's address.
    expect(pickAddress(agentAnswer(["127.0.0.1"]), net0Mac(NET0))).toBe("127.0.0.1");
  });

  it("without a MAC to go by, skips lo and any loopback address", () => {
    const answer = agentAnswer(["127.0.0.2", "10.0.0.9"]);
    expect(pickAddress(answer, undefined)).toBe("10.0.0.9");
    expect(pickAddress(agentAnswer(["127.0.0.2"]), undefined)).toBeUndefined();
  });

  it("is never something that is not an IP address, whatever a hostile agent answers", () => {
    const mac = net0Mac(NET0);
    const ignored: string[] = [];
    const answer = agentAnswer(["-oProxyCommand=sh -c id", "10.0.0.9 ", "pve.lan", "10.0.0.7"]);
    expect(pickAddress(answer, mac, ignored)).toBe("10.0.0.7");
    expect(ignored).toEqual(["-oProxyCommand=sh -c id", "10.0.0.9 ", "pve.lan"]);
    expect(pickAddress(agentAnswer(["-oProxyCommand=sh -c id"]), mac)).toBeUndefined();
  });
});
