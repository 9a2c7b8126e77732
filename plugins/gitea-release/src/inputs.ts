import { fileProblem as connectionFileProblem } from "@hangar/gitea";
import { type PlanContext, type SettingProblem, textOrFile } from "@hangar/kit";
import type { GiteaReleaseSchema } from "./settings.ts";

/**
 * `note` is Markdown or a workspace file holding it. The file is read through the kit's
 * workspace reader: a link out of the workspace (`NOTES.md -> /proc/self/environ`) is refused
 * before a byte is read, so nothing of the runner can end up in a public release.
 */
export async function readNote(workspace: string, value: string): Promise<string> {
  const read = await textOrFile(workspace, value, {
    inline: (text) => text.includes(" ") || text.includes("#"),
    setting: "note",
  });
  return read.text;
}

/** A refused or unreadable file as a settings problem, with the reader's own code. */
export function fileProblem(
  problem: PlanContext<GiteaReleaseSchema>["problem"],
  setting: "note" | "ca_cert",
  error: unknown,
  value: string,
): SettingProblem {
  return connectionFileProblem(problem, setting, error, value);
}

/** The checksum asset is named, not placed: `../x` would write outside the temporary folder. */
export function isPlainName(name: string): boolean {
  return name !== "" && !/[/\\\0]/.test(name) && name !== "." && name !== "..";
}
