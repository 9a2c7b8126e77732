import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HangarError } from "../src/errors.ts";
import { matchFiles, workspacePath } from "../src/files.ts";
import { tempDir } from "./helpers.ts";

async function workspaceWithFiles(): Promise<{ root: string; workspace: string }> {
  const root = await tempDir();
  const workspace = path.join(root, "src");
  const files: Record<string, string> = {
    "dist/app-release.apk": "apk!",
    "dist/app-release.aab": "aab",
    "dist/checksums/app.sha256": "abc  app-release.apk\n",
    "README.md": "# shop\n",
    "..hidden-name": "a file whose name starts with two dots",
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
    await writeFile(path.join(workspace, file), text);
  }
  await mkdir(path.join(root, "outside"));
  await writeFile(path.join(root, "outside/runner-secret.txt"), "not for the plugin");
  return { root, workspace };
}

function refusal(action: () => unknown): HangarError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HangarError);
    expect((error as HangarError).code).toBe("E_PATH_OUTSIDE_WORKSPACE");
    return error as HangarError;
  }
  throw new Error("expected the path to be refused");
}

describe("workspacePath", () => {
  const workspace = "/drone/src";

  it("resolves paths inside the workspace", () => {
    expect(workspacePath(workspace, "dist/app.apk")).toBe("/drone/src/dist/app.apk");
    expect(workspacePath(workspace, "./dist/../README.md")).toBe("/drone/src/README.md");
    expect(workspacePath(workspace, "file://dist/app.apk")).toBe("/drone/src/dist/app.apk");
    expect(workspacePath(workspace, "/drone/src/x")).toBe("/drone/src/x");
    expect(workspacePath(workspace, ".")).toBe("/drone/src");
    expect(workspacePath(workspace, "..hidden")).toBe("/drone/src/..hidden");
  });

  it("refuses paths that climb out of it", () => {
    const error = refusal(() => workspacePath(workspace, "../x"));
    expect(error.message).toBe("../x is outside the workspace /drone/src");
    expect(error.hint).toContain("relative to the repository root");
    refusal(() => workspacePath(workspace, "dist/../../x"));
    refusal(() => workspacePath(workspace, "/etc/passwd"));
    refusal(() => workspacePath(workspace, "/drone/src-other/x"));
    refusal(() => workspacePath(workspace, ".."));
  });
});

describe("matchFiles", () => {
  it("expands globs into regular files, sorted, without duplicates, and reports unmatched patterns", async () => {
    const { workspace } = await workspaceWithFiles();
    const { files, unmatched } = await matchFiles(workspace, [
      "dist/*.apk",
      "dist/app-release.*",
      "dist/**/*.sha256",
      "build/*.zip",
      "dist",
    ]);
    expect(files).toEqual([
      { relative: "dist/app-release.aab", absolute: path.join(workspace, "dist/app-release.aab"), size: 3 },
      { relative: "dist/app-release.apk", absolute: path.join(workspace, "dist/app-release.apk"), size: 4 },
      {
        relative: "dist/checksums/app.sha256",
        absolute: path.join(workspace, "dist/checksums/app.sha256"),
        size: 21,
      },
    ]);
    expect(unmatched).toEqual(["build/*.zip", "dist"]);
  });

  it("matches a plain file name and names starting with two dots", async () => {
    const { workspace } = await workspaceWithFiles();
    const { files, unmatched } = await matchFiles(workspace, ["README.md", "..hidden-name"]);
    expect(files.map((file) => file.relative)).toEqual(["..hidden-name", "README.md"]);
    expect(unmatched).toEqual([]);
  });

  it("refuses patterns that reach out of the workspace", async () => {
    const { root, workspace } = await workspaceWithFiles();
    for (const pattern of [
      "../outside/*",
      "dist/../../outside/*",
      "**/../../outside/*",
      `${root}/outside/*`,
    ]) {
      await expect(matchFiles(workspace, [pattern]), pattern).rejects.toMatchObject({
        code: "E_PATH_OUTSIDE_WORKSPACE",
      });
    }
  });

  it("refuses a symlink that leads out of the workspace", async () => {
    const { root, workspace } = await workspaceWithFiles();
    await symlink(path.join(root, "outside/runner-secret.txt"), path.join(workspace, "dist/notes.txt"));
    await expect(matchFiles(workspace, ["dist/*.txt"])).rejects.toMatchObject({
      code: "E_PATH_OUTSIDE_WORKSPACE",
    });
  });

  it("follows a symlink inside the workspace to a file inside it", async () => {
    const { workspace } = await workspaceWithFiles();
    await symlink(path.join(workspace, "README.md"), path.join(workspace, "dist/README.link"));
    const { files } = await matchFiles(workspace, ["dist/*.link"]);
    expect(files).toMatchObject([{ relative: "dist/README.link", size: 7 }]);
  });
});
