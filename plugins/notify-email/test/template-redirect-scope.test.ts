import type { LookupAddress } from "node:dns";
import { afterEach, describe, expect, it } from "vitest";
import { type AddressPolicy, addressScope, systemAddressPolicy } from "../src/address-scope.ts";
import { fetchTemplate } from "../src/remote-template.ts";
import { startTemplateServer, type TemplateServer } from "./template-server.ts";

/**
 * A template server out on the internet must not be able to redirect the plugin into the
 * runner's own network and have what answers there mailed. Tests reach loopback only, so the
 * "public" server is a loopback one behind a made-up name (`*.public.test`) that the injected
 * policy resolves to 127.0.0.1 and counts as public; every other address is judged as the
 * plugin judges it.
 */

const fakeNames: Record<string, LookupAddress[]> = {
  "templates.public.test": [{ address: "127.0.0.1", family: 4 }],
  "cdn.public.test": [{ address: "127.0.0.1", family: 4 }],
  "intranet.example.test": [{ address: "127.0.0.1", family: 4 }],
};
const policy: AddressPolicy = {
  resolve: (hostname) => {
    const found = fakeNames[hostname];
    return found ? Promise.resolve(found) : systemAddressPolicy.resolve(hostname);
  },
  scope: (address, hostname) => (hostname.endsWith(".public.test") ? "public" : addressScope(address)),
};

const servers: TemplateServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});
async function site(pages: Parameters<typeof startTemplateServer>[0]): Promise<TemplateServer> {
  const server = await startTemplateServer(pages);
  servers.push(server);
  return server;
}
function named(server: TemplateServer, hostname: string): string {
  return server.url.replace("127.0.0.1", hostname);
}
const fetchOptions = { timeoutMs: 5000, addresses: policy };

describe("a template URL's redirects", () => {
  it.each([
    ["an IP", (url: string) => url],
    ["localhost", (url: string) => url.replace("127.0.0.1", "localhost")],
    ["a name that resolves to loopback", (url: string) => url.replace("127.0.0.1", "intranet.example.test")],
  ])("may not lead from a public address to a loopback one given as %s", async (_, target) => {
    const internal = await site({ "/secret": "internal page" });
    const publicSite = await site({
      "/mail.hbs": { status: 302, location: `${target(internal.url)}/secret` },
    });
    const fetched = fetchTemplate(`${named(publicSite, "templates.public.test")}/mail.hbs`, fetchOptions);
    await expect(fetched).rejects.toThrow(
      /\(redirected to http:\/\/[^)]+\/secret\): redirected from a public address to [\w.]+ \(a loopback address\), refused/,
    );
    expect(publicSite.requests).toHaveLength(1);
    expect(internal.requests).toEqual([]);
  });

  it("may lead from a public address to another public one", async () => {
    const cdn = await site({ "/mail.hbs": "<p>{{ build.status }}</p>" });
    const publicSite = await site({
      "/mail.hbs": { status: 301, location: `${named(cdn, "cdn.public.test")}/mail.hbs` },
    });
    const fetched = await fetchTemplate(
      `${named(publicSite, "templates.public.test")}/mail.hbs`,
      fetchOptions,
    );
    expect(fetched.text).toBe("<p>{{ build.status }}</p>");
    expect(fetched.source).toBe(`${named(cdn, "cdn.public.test")}/mail.hbs`);
  });

  it("may lead from a loopback address named in the settings to another loopback one", async () => {
    const other = await site({ "/mail.hbs": "<p>moved</p>" });
    const first = await site({ "/mail.hbs": { status: 302, location: `${other.url}/mail.hbs` } });
    const fetched = await fetchTemplate(`${first.url}/mail.hbs`, fetchOptions);
    expect(fetched.text).toBe("<p>moved</p>");
  });
});

describe("addressScope", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["169.254.169.254", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["10.1.2.3", "private"],
    ["172.20.0.5", "private"],
    ["192.168.1.1", "private"],
    ["::ffff:192.168.1.1", "private"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "private"],
    ["93.184.216.34", "public"],
    ["2606:4700::1111", "public"],
  ])("%s is %s", (address, scope) => {
    expect(addressScope(address)).toBe(scope);
  });
});
