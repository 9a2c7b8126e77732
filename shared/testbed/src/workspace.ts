import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeTempDir } from "./temp-dir.ts";

export interface Workspace {
  /** The workspace's directory. */
  dir: string;
  /** Removes it and everything in it. Safe to call twice. */
  remove(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Files to put in it, by path relative to it: `{ "deploy/k8s/web.yaml": "…" }`. */
  files?: Record<string, string>;
  /**
   * Let anyone write to it: a plugin image runs as uid 1000 and writes its outputs there, as it
   * would on a runner whose workspace it may write to.
   */
  worldWritable?: boolean;
}

/** A build's workspace in a fresh temporary directory (removed by remove() or when the process exits). */
export async function tempWorkspace(
  purpose = "workspace",
  options: WorkspaceOptions = {},
): Promise<Workspace> {
  const temp = await makeTempDir(purpose);
  for (const [name, text] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(temp.path, name)), { recursive: true });
    await writeFile(path.join(temp.path, name), text);
  }
  if (options.worldWritable) await chmod(temp.path, 0o777);
  return { dir: temp.path, remove: temp.remove };
}
