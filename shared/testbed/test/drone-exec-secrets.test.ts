import { describe, expect, it } from "vitest";
import { parseScopedSecrets } from "../src/drone-exec/secrets.ts";

const file = [
  "# every repository",
  "notify_password=mail",
  "",
  "[acme/calchat]",
  'vps_ssh_key="-----BEGIN KEY-----',
  "[not/a-section]",
  '-----END KEY-----"',
  "registry_token=calchat-only",
  "",
  "[acme/*]",
  "registry_token=acme-wide",
  "",
  "[evil/*]",
  "notify_password=overridden-for-evil",
].join("\n");

describe("a secrets file scoped per repository", () => {
  it("gives a repository the unscoped secrets and those of the sections that name it", () => {
    expect(parseScopedSecrets(file, "acme/calchat")).toEqual({
      scoped: true,
      secrets: {
        notify_password: "mail",
        vps_ssh_key: "-----BEGIN KEY-----\n[not/a-section]\n-----END KEY-----",
        // The later section wins.
        registry_token: "acme-wide",
      },
    });
    expect(parseScopedSecrets(file, "acme/billing").secrets).toEqual({
      notify_password: "mail",
      registry_token: "acme-wide",
    });
  });

  it("gives a repository no secret scoped to another one", () => {
    expect(parseScopedSecrets(file, "evil/fork").secrets).toEqual({ notify_password: "overridden-for-evil" });
    expect(parseScopedSecrets(file, "other/repo").secrets).toEqual({ notify_password: "mail" });
    expect(parseScopedSecrets(file, "acme/calchat/extra").secrets).not.toHaveProperty("vps_ssh_key");
  });

  it("reads a file without sections as before: every secret for every repository", () => {
    expect(parseScopedSecrets('a=1\nb="x\ny"\n', "any/repo")).toEqual({
      scoped: false,
      secrets: { a: "1", b: "x\ny" },
    });
  });
});
