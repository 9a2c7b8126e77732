import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneTagEnv } from "./helpers.ts";

describe("gitea-release's start", () => {
  it("a dry run plans the release without loading the Gitea client or the upload", () => {
    // A Gitea that is never reached: the dry run talks to no server.
    const run = dryRunModules("gitea-release", { env: droneTagEnv("http://127.0.0.1:3000") });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("release v1.2.0 in acme/app");
    expect(run.loaded(/\/plugins\/gitea-release\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/\/gitea-js\/|\/src\/(publish|upload|gitea)\.ts$/)).toEqual([]);
  });
});
