import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";

describe("gitea-release's start", () => {
  it("a dry run plans the release without loading the Gitea client or the upload", () => {
    const run = dryRunModules("gitea-release", {
      env: {
        DRONE_REPO_OWNER: "acme",
        DRONE_REPO_NAME: "app",
        DRONE_REPO_LINK: "http://127.0.0.1:3000/acme/app",
        DRONE_BUILD_EVENT: "tag",
        DRONE_TAG: "v1.2.0",
        DRONE_COMMIT_SHA: "3f2a9c1d5e7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c",
        PLUGIN_API_KEY: "start-test-token",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("release v1.2.0 in acme/app");
    expect(run.loaded(/\/plugins\/gitea-release\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/\/gitea-js\/|\/src\/(publish|upload|gitea)\.ts$/)).toEqual([]);
  });
});
