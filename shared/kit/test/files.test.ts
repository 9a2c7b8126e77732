import { execFile } from "node:child_process";
import { mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { HangarError } from "../src/errors.ts";
import { listWorkspaceFiles, matchFiles, readWorkspaceFile, workspacePath } from "../src/files.ts";
import { textOrFile } from "../src/text-or-file.ts";
import { tempDir } from "./helpers.ts";

const run = (command: string, ...args: string[]) => promisify(execFile)(command, args);

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

describe("reading a file a setting names", () => {
  it("reads a file of the workspace, and one reached through a link inside it", async () => {
    const { workspace } = await workspaceWithFiles();
    await symlink("../README.md", path.join(workspace, "dist/README.link"));
    expect(await readWorkspaceFile(workspace, "README.md", { setting: "note" })).toBe("# shop\n");
    expect(await readWorkspaceFile(workspace, "dist/README.link", { setting: "note" })).toBe("# shop\n");
    expect(await readWorkspaceFile(workspace, "file://README.md")).toBe("# shop\n");
  });

  it("refuses a link out of the workspace before reading a byte, naming the setting", async () => {
    const { root, workspace } = await workspaceWithFiles();
    await symlink("/proc/self/environ", path.join(workspace, "NOTES.md"));
    await symlink(path.join(root, "outside/runner-secret.txt"), path.join(workspace, "notes.txt"));
    await symlink(path.join(root, "outside"), path.join(workspace, "outdir"));
    for (const name of ["NOTES.md", "notes.txt", "outdir/runner-secret.txt"]) {
      const error = await readWorkspaceFile(workspace, name, { setting: "note" }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(HangarError);
      expect((error as HangarError).code).toBe("E_PATH_OUTSIDE_WORKSPACE");
      expect((error as HangarError).message).toBe(
        `note: ${name} leads outside the workspace through a symlink; it is not read`,
      );
    }
    await expect(
      readWorkspaceFile(workspace, "../outside/runner-secret.txt", { setting: "note" }),
    ).rejects.toMatchObject({ code: "E_PATH_OUTSIDE_WORKSPACE", message: expect.stringMatching(/^note: /) });
  });

  it("refuses what is not a regular file, a missing or dangling path, and a file over the cap", async () => {
    const { workspace } = await workspaceWithFiles();
    await symlink("nowhere.txt", path.join(workspace, "dangling.txt"));
    await expect(readWorkspaceFile(workspace, "dist")).rejects.toMatchObject({ code: "E_NOT_A_FILE" });
    await expect(readWorkspaceFile(workspace, "missing.txt")).rejects.toMatchObject({
      code: "E_FILE_NOT_FOUND",
    });
    await expect(readWorkspaceFile(workspace, "dangling.txt")).rejects.toMatchObject({
      code: "E_FILE_NOT_FOUND",
      message: "dangling.txt is a symlink to nothing that exists",
    });
    await expect(readWorkspaceFile(workspace, "README.md", { maxBytes: 3 })).rejects.toMatchObject({
      code: "E_FILE_TOO_LARGE",
    });
    // A FIFO must not hang the step waiting for a writer.
    await run("mkfifo", path.join(workspace, "pipe"));
    await expect(readWorkspaceFile(workspace, "pipe")).rejects.toMatchObject({ code: "E_NOT_A_FILE" });
  });

  it("lists a directory's files and refuses a link inside it that leads out", async () => {
    const { root, workspace } = await workspaceWithFiles();
    const listed = await listWorkspaceFiles(workspace, "dist", { setting: "manifests" });
    const real = await realpath(workspace);
    expect(listed).toEqual([
      path.join(real, "dist/app-release.aab"),
      path.join(real, "dist/app-release.apk"),
      path.join(real, "dist/checksums/app.sha256"),
    ]);
    await symlink(path.join(root, "outside"), path.join(workspace, "dist/checksums/more"));
    await expect(listWorkspaceFiles(workspace, "dist", { setting: "manifests" })).rejects.toMatchObject({
      code: "E_PATH_OUTSIDE_WORKSPACE",
      message: expect.stringContaining("manifests: dist/checksums/more"),
    });
  });
});

describe("textOrFile", () => {
  const inline = (value: string) => value.includes("{");

  it("reads a named file, keeps text as text", async () => {
    const { workspace } = await workspaceWithFiles();
    expect(await textOrFile(workspace, "README.md", { inline })).toEqual({
      text: "# shop\n",
      file: "README.md",
    });
    expect(await textOrFile(workspace, "Release {{ tag }}", { inline })).toEqual({
      text: "Release {{ tag }}",
    });
    expect(await textOrFile(workspace, "just words", { inline })).toEqual({ text: "just words" });
  });

  it("refuses a file that is a link out of the workspace, instead of reading or echoing it", async () => {
    const { workspace } = await workspaceWithFiles();
    await symlink("/proc/self/environ", path.join(workspace, "NOTES"));
    await symlink("/etc/passwd", path.join(workspace, "notes.md"));
    for (const name of ["NOTES", "notes.md", "file://NOTES"]) {
      await expect(textOrFile(workspace, name, { inline, setting: "note" }), name).rejects.toMatchObject({
        code: "E_PATH_OUTSIDE_WORKSPACE",
      });
    }
  });
});
