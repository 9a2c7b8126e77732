import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { perTest } from "./helpers.ts";

const { start, workspace, publish } = perTest((gitea) => expect(gitea.schemaProblems()).toEqual([]));

describe("gitea-release pages through lists with a bound", () => {
  it("stops when a server ignores ?page= and answers full first pages again", {
    timeout: 15_000,
  }, async () => {
    // Full pages (50 drafts, 60 tags): a client that pages until a short page never ends here.
    const gitea = await start({
      ignorePage: true,
      releases: Array.from({ length: 50 }, (_, index) => ({ tag: `draft-${index}`, draft: true })),
      tags: Array.from({ length: 60 }, (_, index) => ({ name: `v0.${index}.0` })),
    });
    await mkdir(path.join(workspace.dir, "dist"), { recursive: true });
    await writeFile(path.join(workspace.dir, "dist", "app.apk"), "android build\n");
    const run = await publish(gitea, { PLUGIN_FILES: "dist/*", PLUGIN_GENERATE_NOTES: "true" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      "listing draft releases: GET /api/v1/repos/acme/app/releases answered page 2 with the items of an earlier page",
    );
    expect(run.output).toContain("listing tags: GET /api/v1/repos/acme/app/tags answered page 2");
    expect(gitea.count({ pathPattern: "repoListReleases" })).toBe(2);
    expect(gitea.count({ pathPattern: "repoListTags" })).toBe(2);
    expect(gitea.release("v1.2.0")?.assets.map((asset) => asset.name)).toEqual(["app.apk"]);
  });
});
