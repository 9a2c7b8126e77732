import { glob, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { HangarError } from "./errors.ts";

/**
 * Paths in settings are relative to the workspace. A path that climbs out of it is refused:
 * a plugin reads the repository's files, not the runner's.
 */
export function workspacePath(workspace: string, relative: string): string {
  const resolved = path.resolve(workspace, relative.replace(/^file:\/\//, ""));
  const inside = path.relative(workspace, resolved);
  if (inside === ".." || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw new HangarError("E_PATH_OUTSIDE_WORKSPACE", `${relative} is outside the workspace ${workspace}`, {
      hint: "Give a path relative to the repository root.",
    });
  }
  return resolved;
}

export interface MatchedFile {
  /** Relative to the workspace, with forward slashes. */
  relative: string;
  absolute: string;
  size: number;
}

/**
 * Expands glob patterns in the workspace (Node's own fs.glob) into regular files, sorted and
 * without duplicates. Returns the patterns that matched nothing too: whether that is an
 * error is the plugin's call.
 */
export async function matchFiles(
  workspace: string,
  patterns: readonly string[],
): Promise<{ files: MatchedFile[]; unmatched: string[] }> {
  const byPath = new Map<string, MatchedFile>();
  const unmatched: string[] = [];
  const root = await realpath(workspace);
  for (const pattern of patterns) {
    workspacePath(workspace, pattern.replace(/[*?[{].*$/, "") || ".");
    let count = 0;
    for await (const match of glob(pattern, { cwd: workspace })) {
      // `dist/../../x` and `**/../x` climb out after the static prefix checked above.
      const absolute = workspacePath(workspace, match);
      const info = await stat(absolute);
      if (!info.isFile()) continue;
      // A symlink in the repository must not lead to the runner's files (`dist/env -> /proc/self/environ`).
      workspacePath(root, await realpath(absolute));
      count++;
      const relative = path.relative(workspace, absolute).split(path.sep).join("/");
      byPath.set(relative, { relative, absolute, size: info.size });
    }
    if (count === 0) unmatched.push(pattern);
  }
  return { files: [...byPath.values()].sort((a, b) => a.relative.localeCompare(b.relative)), unmatched };
}
