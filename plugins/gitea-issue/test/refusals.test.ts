import { writeFile } from "node:fs/promises";
import path from "node:path";
import { againstEchoingServer, secretLeaks } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, droneGreenEnv, perTest, runGiteaIssue, TOKEN } from "./helpers.ts";

const { start, workspace } = perTest();

describe("gitea-issue refuses what it cannot do, and says why", () => {
  it("names every bad setting at once and calls no API", async () => {
    const g = await start();
    await writeFile(path.join(workspace.dir, "ca.pem"), "not a certificate\n");
    const run = await runGiteaIssue(
      droneEnv(g.url, {
        PLUGIN_API_KEY: `${TOKEN}\n`,
        PLUGIN_BASE_URL: "ftp://gitea.example",
        PLUGIN_TIMEOUT: "soon",
        PLUGIN_CA_CERT: "ca.pem",
        PLUGIN_BODY: "Broken in {{ build.nope }}",
        PLUGIN_CLOSE_ON_SUCCESS: "maybe",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    for (const name of ["api_key", "base_url", "timeout", "ca_cert", "body", "close_on_success"])
      expect(run.output).toContain(`- ${name}:`);
    expect(run.output).toContain("build.nope");
    expect(g.requests()).toEqual([]);
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
  });

  it("asks for a key when the build names no branch, before any request", async () => {
    const g = await start();
    const run = await runGiteaIssue(droneEnv(g.url, { DRONE_COMMIT_BRANCH: "" }), workspace.dir);
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain("- key: is required");
    expect(g.requests()).toEqual([]);
  });

  it("says the token lacks write:issue when Gitea answers 403, and changes nothing", async () => {
    const g = await start({ tokenScopes: ["write:repository", "read:issue"] });
    const run = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("403");
    expect(run.output).toContain("it needs the write:issue scope");
    expect(g.issues()).toEqual([]);
    expect(g.labels()).toEqual([]);
  });

  it("prints no encoding of the token when a server echoes the request in a 401", async () => {
    const echoed = await againstEchoingServer(TOKEN, (url) =>
      runGiteaIssue(droneEnv(url, { PLUGIN_DEBUG: "true" }), workspace.dir),
    );
    expect(echoed.run.code, echoed.run.output).toBe(1);
    expect(echoed.run.output).toMatch(/401.*api_key|api_key.*401/s);
    expect(echoed).toMatchObject({ secretSent: true, leaks: [] });
  });

  it("prints the plan and touches nothing with dry_run", async () => {
    const g = await start();
    const failed = await runGiteaIssue(droneEnv(g.url, { PLUGIN_DRY_RUN: "true" }), workspace.dir);
    expect(failed.code, failed.output).toBe(0);
    expect(failed.output).toContain('comment on the open issue for key "main"');
    expect(failed.output).toContain("title:     CI failing on main");
    const green = await runGiteaIssue(droneGreenEnv(g.url, { PLUGIN_DRY_RUN: "true" }), workspace.dir);
    expect(green.output).toContain('close the open issue for key "main"');
    expect(g.requests()).toEqual([]);
    expect(secretLeaks(failed.output + green.output, TOKEN)).toEqual([]);
  });

  it("fails clearly, before any request, when the build's status is unknown", async () => {
    const g = await start();
    const run = await runGiteaIssue(
      droneEnv(g.url, { DRONE_BUILD_STATUS: "", DRONE_FAILED_STEPS: "" }),
      workspace.dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("status is unknown");
    expect(g.requests()).toEqual([]);
  });
});
