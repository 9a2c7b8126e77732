import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { readWorkspaceFile, resolveInWorkspace, textOrFile } from "@hangar/kit";

/**
 * Reading the workspace files settings name: the same for checking them and for planning. Every
 * one goes through the kit's workspace reader, so a link out of the workspace
 * (`compose.yml -> /proc/self/environ`) is refused before a byte of it is read or shipped.
 */

export async function readKnownHosts(
  workspace: string,
  value: string | undefined,
): Promise<string | undefined> {
  if (value === undefined) return undefined;
  // A known_hosts line always has spaces; a file name has none.
  const inline = (text: string) => /\s/.test(text.trim());
  return (await textOrFile(workspace, value, { inline, setting: "known_hosts", maxBytes: 1024 * 1024 })).text;
}

/**
 * A key file: absolute (a secret mounted into the step's container, as documented) or relative
 * to the workspace, where it must be the repository's own file.
 */
export async function readKeyFile(workspace: string, file: string, setting = "key_path"): Promise<string> {
  if (path.isAbsolute(file)) return readFile(file, "utf8");
  return readWorkspaceFile(workspace, file, { setting, maxBytes: 64 * 1024 });
}

/** The real path and size of a workspace file a setting names to ship; refused when it leads out. */
export async function shippedFile(
  workspace: string,
  relative: string,
  setting: string,
): Promise<{ real: string; size: number }> {
  const real = await resolveInWorkspace(workspace, relative, { setting });
  const info = await stat(real);
  if (!info.isFile()) throw new Error(`${setting}: ${relative} is not a file`);
  return { real, size: info.size };
}

/** What is wrong with a compose file named in `compose_files`, if anything (for the settings error). */
export async function composeFileProblem(workspace: string, relative: string): Promise<string | undefined> {
  try {
    await shippedFile(workspace, relative, "compose_files");
    return undefined;
  } catch (error) {
    return withoutSetting(error, "compose_files");
  }
}

/** A reader's message without the setting's name in front: the settings error puts it there. */
export function withoutSetting(error: unknown, setting: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${setting}: `) ? message.slice(setting.length + 2) : message;
}
