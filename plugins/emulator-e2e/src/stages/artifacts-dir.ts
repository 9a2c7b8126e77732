import { lstat, mkdir, readlink, rm } from "node:fs/promises";
import path from "node:path";
import { HangarError } from "@hangar/kit";

/** What the plugin writes in the artifacts folder; an earlier run's are removed first. */
const OWN_ENTRIES = [
  "junit",
  "screenshots",
  "wdio",
  "junit.xml",
  "wdio.log",
  "wdio.conf.generated.mjs",
  "emulator.log",
  "logcat.txt",
  "appium.log",
];

/**
 * The artifacts folder, made fresh for this run. The workspace is the repository's, so a committed
 * link anywhere on the way (`.hangar -> /home/runner`, `.hangar/e2e -> ../../etc`) would send the
 * evidence, and the removal of an earlier run's, outside it: every part of the path is checked
 * and made one at a time, and a link is refused. An entry of the plugin's own that is a link is
 * removed (the link, not what it points at) like any stale report.
 */
export async function freshArtifacts(workspace: string, relative: string): Promise<string> {
  let current = workspace;
  for (const part of path
    .normalize(relative)
    .split(path.sep)
    .filter((one) => one !== "" && one !== ".")) {
    current = path.join(current, part);
    const shown = path.relative(workspace, current).split(path.sep).join("/");
    const entry = await lstat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (entry?.isSymbolicLink()) {
      const target = await readlink(current).catch(() => "?");
      throw new HangarError(
        "E_ARTIFACTS_LINK",
        `artifacts: ${shown} in the workspace is a symlink (to ${target}); the evidence is not written through it`,
        { hint: "Remove the link from the repository, or set `artifacts` to a folder that is not one." },
      );
    }
    if (entry && !entry.isDirectory()) {
      throw new HangarError("E_ARTIFACTS", `artifacts: ${shown} in the workspace is not a folder`, {
        hint: "Set `artifacts` to a folder, or remove that file.",
      });
    }
    if (!entry)
      await mkdir(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
  }
  for (const stale of OWN_ENTRIES) await rm(path.join(current, stale), { recursive: true, force: true });
  await mkdir(path.join(current, "junit"));
  return current;
}
