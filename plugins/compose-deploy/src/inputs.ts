import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { errorMessage, textOrFile, workspacePath } from "@hangar/kit";

/** Reading the workspace files settings name: the same for checking them and for planning. */

export async function readKnownHosts(
  workspace: string,
  value: string | undefined,
): Promise<string | undefined> {
  if (value === undefined) return undefined;
  // A known_hosts line always has spaces; a file name has none.
  return (await textOrFile(workspace, value, { inline: (text) => /\s/.test(text.trim()) })).text;
}

/** A key file: absolute (a mounted secret) or relative to the workspace. */
export async function readKeyFile(workspace: string, file: string): Promise<string> {
  return readFile(path.isAbsolute(file) ? file : workspacePath(workspace, file), "utf8");
}

export async function regularFile(workspace: string, relative: string): Promise<string | undefined> {
  try {
    const info = await stat(workspacePath(workspace, relative));
    return info.isFile() ? undefined : "is not a file";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT"
      ? "does not exist in the workspace"
      : errorMessage(error);
  }
}
