import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";

describe("gitea-issue's start", () => {
  it("a dry run plans the issue without loading the Gitea client", () => {
    const run = dryRunModules("gitea-issue", {
      env: {
        DRONE_REPO: "acme/app",
        DRONE_REPO_OWNER: "acme",
        DRONE_REPO_NAME: "app",
        DRONE_REPO_LINK: "http://127.0.0.1:3000/acme/app",
        DRONE_BUILD_NUMBER: "7",
        DRONE_BUILD_EVENT: "push",
        DRONE_BUILD_STATUS: "failure",
        DRONE_BRANCH: "main",
        DRONE_COMMIT_SHA: "3f2a9c1d5e7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c",
        PLUGIN_API_KEY: "start-test-token",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("acme/app");
    expect(run.loaded(/\/plugins\/gitea-issue\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/\/gitea-js\/|\/src\/(converge|gitea)\.ts$/)).toEqual([]);
  });
});
