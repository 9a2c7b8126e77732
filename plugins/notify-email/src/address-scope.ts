import { promises as dns, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * Where an address lies. A template URL is a pipeline setting, so its own host may be anything
 * (a template server on the runner's network is ordinary); but a server out on the internet
 * must not be able to point the plugin, by a redirect, at the runner's own network and have
 * what answers there mailed out. So once a fetch has reached a public address, every later hop
 * must be public too, checked on the addresses actually connected to (a name that resolves to
 * 127.0.0.1 is loopback, whatever it is called).
 */
export type AddressScope = "public" | "loopback" | "link-local" | "private" | "unspecified";

/** How a fetch resolves and classifies the hosts it connects to; tests inject their own. */
export interface AddressPolicy {
  /** Every address a host name resolves to. */
  resolve(hostname: string): Promise<LookupAddress[]>;
  /** Where an address lies; `hostname` is what it was resolved from (the address itself for an IP URL). */
  scope(address: string, hostname: string): AddressScope;
}

const ranges: [AddressScope, BlockList][] = [
  [
    "loopback",
    blocks([
      ["127.0.0.0", 8, "ipv4"],
      ["::1", 128, "ipv6"],
    ]),
  ],
  [
    "unspecified",
    blocks([
      ["0.0.0.0", 8, "ipv4"],
      ["::", 128, "ipv6"],
    ]),
  ],
  [
    "link-local",
    blocks([
      ["169.254.0.0", 16, "ipv4"],
      ["fe80::", 10, "ipv6"],
    ]),
  ],
  [
    "private",
    blocks([
      ["10.0.0.0", 8, "ipv4"],
      ["172.16.0.0", 12, "ipv4"],
      ["192.168.0.0", 16, "ipv4"],
      // Carrier-grade NAT space is no one's public address either.
      ["100.64.0.0", 10, "ipv4"],
      ["fc00::", 7, "ipv6"],
    ]),
  ],
];

function blocks(list: [string, number, "ipv4" | "ipv6"][]): BlockList {
  const blockList = new BlockList();
  for (const [network, prefix, family] of list) blockList.addSubnet(network, prefix, family);
  return blockList;
}

/** Where an address lies; something that is not an IP counts as public, the stricter side. */
export function addressScope(address: string): AddressScope {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address inside.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain)?.[1];
  const ip = mapped ?? plain;
  const version = isIP(ip);
  if (version === 0) return "public";
  const family = version === 6 ? "ipv6" : "ipv4";
  for (const [scope, list] of ranges) if (list.check(ip, family)) return scope;
  return "public";
}

export const systemAddressPolicy: AddressPolicy = {
  resolve: (hostname) => dns.lookup(hostname, { all: true, verbatim: true }),
  scope: (address) => addressScope(address),
};

/**
 * A `lookup` for `http.request` that resolves through the policy and hands every address to
 * `check` before the socket connects, so what is checked is what is connected to. `check`
 * returns an error to refuse the host.
 */
export function checkedLookup(
  policy: AddressPolicy,
  check: (address: string, hostname: string) => Error | undefined,
): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    policy.resolve(hostname).then(
      (found) => {
        const usable = found.filter((entry) => !options.family || entry.family === options.family);
        if (usable.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
          return;
        }
        // Every address, not only the first: the connection may try them all.
        for (const entry of usable) {
          const refused = check(entry.address, hostname);
          if (refused) {
            callback(refused, "", 0);
            return;
          }
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]?.address ?? "", usable[0]?.family ?? 4);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}
