import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { runGiteaRelease } from "./helpers.ts";

// Opt-in: against a real Gitea when GITEA_URL, GITEA_TOKEN and GITEA_REPO (owner/name of a
// repository the token may write to) are set. It creates a release on a fresh tag and removes
// the release and the tag again.
const url = process.env.GITEA_URL?.replace(/\/+$/, "");
const token = process.env.GITEA_TOKEN;
const [owner, repo] = (process.env.GITEA_REPO ?? "").split("/");

describe.skipIf(!url || !token || !owner || !repo)("gitea-release against a real Gitea (GITEA_URL)", () => {
  it("publishes, re-runs idempotently and cleans up", async () => {
    const api = `${url}/api/v1/repos/${owner}/${repo}`;
    const headers = { Authorization: `token ${token}` };
    const tag = `hangar-live-${Date.now()}`;
    const workspace = await tempWorkspace("gitea-release");
    try {
      await mkdir(path.join(workspace.dir, "dist"));
      await writeFile(path.join(workspace.dir, "dist", "app.txt"), `live test ${tag}\n`);
      const env = {
        CI: "true",
        DRONE: "true",
        DRONE_BUILD_EVENT: "push",
        DRONE_BUILD_NUMBER: "1",
        PLUGIN_BASE_URL: url ?? "",
        PLUGIN_API_KEY: token ?? "",
        PLUGIN_OWNER: owner ?? "",
        PLUGIN_REPO: repo ?? "",
        PLUGIN_TAG: tag,
        PLUGIN_FILES: "dist/*.txt",
        PLUGIN_CHECKSUM: "sha256",
        PLUGIN_GENERATE_NOTES: "true",
      };
      for (const attempt of [1, 2]) {
        const run = await runGiteaRelease(env, workspace.dir);
        expect(run.code, `run ${attempt}: ${run.output}`).toBe(0);
        expect(run.output).not.toContain(token);
      }
      const release = (await (await fetch(`${api}/releases/tags/${tag}`, { headers })).json()) as {
        id: number;
        assets: { name: string }[];
      };
      expect(release).toMatchObject({ tag_name: tag, draft: false });
      expect(release.assets.map((asset) => asset.name).sort()).toEqual(["app.txt", "sha256sum.txt"]);
      await fetch(`${api}/releases/${release.id}`, { method: "DELETE", headers });
    } finally {
      await fetch(`${api}/tags/${tag}`, { method: "DELETE", headers }).catch(() => undefined);
      await workspace.remove();
    }
  });
});
