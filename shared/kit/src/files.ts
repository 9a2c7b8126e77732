import { constants } from "node:fs";
import { glob, lstat, open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { HangarError } from "./errors.ts";
import { formatBytes } from "./format-bytes.ts";

/**
 * Paths in settings are relative to the workspace. A path that climbs out of it is refused:
 * a plugin reads the repository's files, not the runner's. This checks the text only; the
 * readers below also resolve symlinks, and every file a setting names is opened through them.
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

export interface WorkspaceFileOptions {
  /** The setting that names the file, for the message: `note`. */
  setting?: string;
  /** Larger files are refused before a byte is read (default 16 MiB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

function prefix(options: WorkspaceFileOptions): string {
  return options.setting ? `${options.setting}: ` : "";
}

function isInside(root: string, candidate: string): boolean {
  const inside = path.relative(root, candidate);
  return inside === "" || !(inside === ".." || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside));
}

/**
 * The real path of a workspace entry a setting names, symlinks resolved. Refused, before
 * anything is read, when the text or any link on the way leads outside the workspace
 * (`NOTES.md -> /proc/self/environ`). Missing entries are an error too.
 */
export async function resolveInWorkspace(
  workspace: string,
  relative: string,
  options: WorkspaceFileOptions = {},
): Promise<string> {
  let lexical: string;
  try {
    lexical = workspacePath(workspace, relative);
  } catch (error) {
    if (!(error instanceof HangarError)) throw error;
    throw new HangarError("E_PATH_OUTSIDE_WORKSPACE", `${prefix(options)}${error.message}`, {
      hint: error.hint,
    });
  }
  const root = await realpath(workspace);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ELOOP") throw error;
    // A dangling link says nothing of where it leads until it is read: name it for what it is.
    const link = await lstat(lexical).catch(() => undefined);
    throw new HangarError(
      "E_FILE_NOT_FOUND",
      `${prefix(options)}${relative} ${link?.isSymbolicLink() ? "is a symlink to nothing that exists" : "does not exist in the workspace"}`,
      { hint: "Check the path (relative to the repository root) and that an earlier step made the file." },
    );
  }
  if (!isInside(root, real)) {
    throw new HangarError(
      "E_PATH_OUTSIDE_WORKSPACE",
      `${prefix(options)}${relative} leads outside the workspace through a symlink; it is not read`,
      {
        hint: "A plugin reads only the repository's own files: replace the link with the file itself.",
      },
    );
  }
  return real;
}

/**
 * Reads a regular file of the workspace that a setting names, as text: links resolved and
 * checked first, devices, FIFOs and directories refused, the size capped.
 */
export async function readWorkspaceFile(
  workspace: string,
  relative: string,
  options: WorkspaceFileOptions = {},
): Promise<string> {
  return (await readWorkspaceBytes(workspace, relative, options)).toString("utf8");
}

export async function readWorkspaceBytes(
  workspace: string,
  relative: string,
  options: WorkspaceFileOptions = {},
): Promise<Buffer> {
  const real = await resolveInWorkspace(workspace, relative, options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  // O_NOFOLLOW: the checked path cannot be swapped for a link in between; O_NONBLOCK: a FIFO
  // placed there does not hang the open.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new HangarError("E_NOT_A_FILE", `${prefix(options)}${relative} is not a regular file`, {
        hint: "Name a file of the repository (directories, devices and pipes are not read).",
      });
    }
    if (info.size > maxBytes) {
      throw new HangarError(
        "E_FILE_TOO_LARGE",
        `${prefix(options)}${relative} is ${formatBytes(info.size)}, over the ${formatBytes(maxBytes)} this setting reads`,
        { hint: "Name a smaller file." },
      );
    }
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) {
      throw new HangarError(
        "E_FILE_TOO_LARGE",
        `${prefix(options)}${relative} grew past ${formatBytes(maxBytes)}`,
      );
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * The regular files under a workspace directory a setting names (or the file itself), real
 * paths, sorted. Every entry is resolved: a link inside the tree that leads out is refused.
 */
export async function listWorkspaceFiles(
  workspace: string,
  relative: string,
  options: WorkspaceFileOptions = {},
): Promise<string[]> {
  const real = await resolveInWorkspace(workspace, relative, options);
  const info = await stat(real);
  if (info.isFile()) return [real];
  if (!info.isDirectory()) {
    throw new HangarError("E_NOT_A_FILE", `${prefix(options)}${relative} is neither a file nor a directory`);
  }
  const files: string[] = [];
  for (const name of (await readdir(real, { recursive: true })).sort()) {
    const entry = path.join(relative, name);
    const target = await resolveInWorkspace(workspace, entry, options);
    if ((await stat(target)).isFile()) files.push(target);
  }
  return files;
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
