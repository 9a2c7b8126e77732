import { describe, expect, it } from "vitest";
import { clones, perTestPve } from "./helpers.ts";

const bed = perTestPve();

describe("proxmox-vm settings", () => {
  it("reports every bad setting at once, before any request", async () => {
    const run = await bed.run({
      PLUGIN_URL: "http://pve.lan:8006",
      PLUGIN_INSECURE: "false",
      PLUGIN_ACTION: "explode",
      PLUGIN_COUNT: "0",
      PLUGIN_TIMEOUT: "soon",
      PLUGIN_TAGS: "ok,not ok",
      PLUGIN_SSHKEYS: "-----BEGIN OPENSSH PRIVATE KEY-----",
      PLUGIN_FINGERPRINT: "AB:CD",
      PLUGIN_TEMPLATE: undefined,
    });
    expect(run.code).toBe(2);
    for (const setting of ["url", "action", "count", "timeout", "tags", "sshkeys", "fingerprint"])
      expect(run.stderr).toContain(`  - ${setting}: `);
    expect(bed.pve.requests()).toEqual([]);
    expect(run.output).not.toContain(bed.pve.tokenSecret);
  });

  it("refuses vmid with count > 1, create without template, and a token id without its secret", async () => {
    const run = await bed.run({
      PLUGIN_VMID: "150",
      PLUGIN_COUNT: "2",
      PLUGIN_TEMPLATE: undefined,
      PLUGIN_TOKEN_SECRET: undefined,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("  - vmid: names one VM, but count is 2");
    expect(run.stderr).toContain("  - template: is required for action create");
    expect(run.stderr).toContain("  - token_secret: is required with token_id");
    expect(bed.pve.requests()).toEqual([]);
  });

  it.each([
    [{ PLUGIN_TOKEN_ID: "drone@pve" }, "  - token_id: must be USER@REALM!TOKENID, e.g. drone@pve!ci"],
    [
      {
        PLUGIN_TOKEN_ID: undefined,
        PLUGIN_TOKEN_SECRET: undefined,
        PLUGIN_USERNAME: "ci",
        PLUGIN_PASSWORD: "secret",
      },
      "  - username: must name the realm: USER@REALM, e.g. ci@pve",
    ],
    [
      { PLUGIN_TOKEN_ID: undefined, PLUGIN_TOKEN_SECRET: undefined, PLUGIN_PASSWORD: "secret" },
      "  - username: is required with password",
    ],
    [
      { PLUGIN_TOKEN_ID: undefined, PLUGIN_TOKEN_SECRET: undefined, PLUGIN_USERNAME: "ci@pve" },
      "  - password: is required with username",
    ],
  ])("refuses a login that is half given or malformed (%o)", async (overrides, message) => {
    const run = await bed.run(overrides);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(bed.pve.requests()).toEqual([]);
  });

  it("dry run prints the plan and touches nothing", async () => {
    const run = await bed.run({ PLUGIN_DRY_RUN: "true", PLUGIN_COUNT: "2" });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("vms:      ci-acme-calchat-42-1, ci-acme-calchat-42-2 (id allocated)");
    expect(run.stdout).toContain("every VM this run made is destroyed");
    expect(bed.pve.requests()).toEqual([]);
    expect(clones(bed.pve)).toEqual([]);
  });
});
