import path from "node:path";
import {
  type BuildContext,
  fileProblem,
  matchFiles,
  readWorkspaceFile,
  type SettingProblem,
} from "@hangar/kit";
import { isPlainName, SUMS_FILE } from "./layout.ts";
import type { Context } from "./settings.ts";

/**
 * The files settings name, read through the kit's workspace readers: a link out of the
 * workspace (`NOTES.md -> /proc/self/environ`) is refused before a byte is read, so nothing of
 * the runner can end up on a public download page.
 */

type Problem = Context["problem"];

export interface PlannedFile {
  /** The name on the site: the file's base name. */
  name: string;
  /** Workspace-relative, for the log. */
  relative: string;
  absolute: string;
  size: number;
}

export async function readNotes(workspace: string, value: string): Promise<string> {
  return (await readWorkspaceFile(workspace, value, { setting: "notes", maxBytes: 1024 * 1024 })).trim();
}

export async function matchSiteFiles(build: BuildContext, patterns: readonly string[]) {
  const { files, unmatched } = await matchFiles(build.workspace, patterns);
  return {
    unmatched,
    files: files.map(
      (file): PlannedFile => ({
        name: path.basename(file.relative),
        relative: file.relative,
        absolute: file.absolute,
        size: file.size,
      }),
    ),
  };
}

/** What is wrong with `files`: patterns that match nothing, names that cannot be keys, clashes. */
export async function filesProblems(
  problem: Problem,
  build: BuildContext,
  patterns: readonly string[],
): Promise<SettingProblem[]> {
  const problems: SettingProblem[] = [];
  let files: PlannedFile[];
  try {
    const matched = await matchSiteFiles(build, patterns);
    files = matched.files;
    if (matched.unmatched.length > 0) {
      problems.push(
        problem(
          "files",
          "E_FILES_EMPTY",
          `${matched.unmatched.map((pattern) => `"${pattern}"`).join(", ")} matched no file in the workspace`,
          patterns.join(", "),
        ),
      );
    }
  } catch (error) {
    return [fileProblem(problem, "files", error, patterns.join(", "))];
  }
  const unsafe = files.filter((file) => !isPlainName(file.name));
  if (unsafe.length > 0) {
    problems.push(
      problem(
        "files",
        "E_FILE_NAME_INVALID",
        `match file names with a control character, which cannot name a download or a checksum line: ${unsafe.map((file) => JSON.stringify(file.relative)).join(", ")}`,
      ),
    );
  }
  const byName = new Map<string, string[]>();
  for (const file of files) byName.set(file.name, [...(byName.get(file.name) ?? []), file.relative]);
  for (const [name, paths] of byName) {
    if (paths.length > 1)
      problems.push(
        problem("files", "E_FILE_NAME_CLASH", `match several files named ${name}: ${paths.join(", ")}`),
      );
    if (name === SUMS_FILE)
      problems.push(
        problem(
          "files",
          "E_FILE_NAME_CLASH",
          `match a file named ${SUMS_FILE}, which the site writes itself`,
        ),
      );
  }
  return problems;
}
