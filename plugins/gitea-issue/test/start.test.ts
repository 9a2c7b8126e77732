import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modulesLoadedBy } from "../../../shared/testbed/src/start-modules.ts";

const entry = join(import.meta.dirname, "..", "src", "index.ts");
const workspace = mkdtempSync(join(tmpdir(), "gitea-issue-start-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe("gitea-issue's start", () => {
  it("a dry run plans the issue without loading the Gitea client", () => {
    const run = modulesLoadedBy([entry], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH,
        HOME: workspace,
        DRONE: "true",
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
        PLUGIN_DRY_RUN: "true",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("acme/app");
    expect(run.modules.some((url) => url.endsWith("/plugins/gitea-issue/src/plan.ts"))).toBe(true);
    expect(run.modules.filter((url) => /\/gitea-js\/|\/src\/(converge|gitea)\.ts$/.test(url))).toEqual([]);
  });
});
