import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv } from "./helpers.ts";

describe("gitea-issue's start", () => {
  it("a dry run plans the issue without loading the Gitea client", () => {
    // A Gitea that is never reached: the dry run talks to no server.
    const run = dryRunModules("gitea-issue", { env: droneEnv("http://127.0.0.1:3000") });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("acme/app");
    expect(run.loaded(/\/plugins\/gitea-issue\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/\/gitea-js\/|\/src\/(converge|gitea)\.ts$/)).toEqual([]);
  });
});
