import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { runGiteaIssue } from "./helpers.ts";

// Opt-in: against a real Gitea when GITEA_URL, GITEA_TOKEN (scopes write:issue and read:user)
// and GITEA_REPO (owner/name of a repository the token may write issues in) are set. It opens an
// issue under a fresh key, comments on it, and closes it again.
const url = process.env.GITEA_URL?.replace(/\/+$/, "");
const token = process.env.GITEA_TOKEN;
const [owner, repo] = (process.env.GITEA_REPO ?? "").split("/");

describe.skipIf(!url || !token || !owner || !repo)("gitea-issue against a real Gitea (GITEA_URL)", () => {
  it("opens, comments and closes the issue of a key", async () => {
    const key = `hangar-live-${Date.now()}`;
    const workspace = await tempWorkspace("gitea-issue");
    const env = (number: string, status: string) => ({
      CI: "true",
      DRONE: "true",
      DRONE_BUILD_EVENT: "push",
      DRONE_BUILD_NUMBER: number,
      DRONE_BUILD_STATUS: status,
      DRONE_COMMIT_BRANCH: "main",
      DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
      PLUGIN_BASE_URL: url ?? "",
      PLUGIN_API_KEY: token ?? "",
      PLUGIN_OWNER: owner ?? "",
      PLUGIN_REPO: repo ?? "",
      PLUGIN_KEY: key,
      PLUGIN_TITLE: `hangar live test ${key}`,
    });
    try {
      const actions: string[] = [];
      for (const [number, status] of [
        ["1", "failure"],
        ["2", "failure"],
        ["3", "success"],
        ["4", "success"],
      ] as const) {
        const run = await runGiteaIssue(env(number, status), workspace.dir);
        expect(run.code, run.output).toBe(0);
        expect(run.output).not.toContain(token);
        actions.push(run.output.match(/(opened|commented on|closed) issue|nothing to do/)?.[0] ?? run.output);
      }
      expect(actions).toEqual(["opened issue", "commented on issue", "closed issue", "nothing to do"]);
    } finally {
      await workspace.remove();
    }
  });
});
