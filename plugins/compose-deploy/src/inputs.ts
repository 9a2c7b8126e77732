import { stat } from "node:fs/promises";
import { resolveInWorkspace, withoutSetting } from "@hangar/kit";

/**
 * Reading the workspace files settings name: the same for checking them and for planning. Every
 * one goes through the kit's workspace reader, so a link out of the workspace
 * (`compose.yml -> /proc/self/environ`) is refused before a byte of it is read or shipped.
 */

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
