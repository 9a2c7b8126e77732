import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AVD, perTestRun, runStep } from "./helpers.ts";

/**
 * A repository that commits a link on the artifacts' path: the evidence (and the removal of an
 * earlier run's) would land outside the workspace. The step refuses it before anything starts.
 */
describe("the artifacts folder", { timeout: 120_000 }, () => {
  const bed = perTestRun();

  for (const [link, where] of [
    [".hangar/e2e", "e2e"],
    [".hangar", "hangar"],
  ] as const) {
    it(`is refused when the repository makes ${link} a link to a folder outside the workspace`, async () => {
      const { sdk, ws, env } = await bed.setUp({ avds: [AVD] });
      const outside = await mkdtemp(path.join(tmpdir(), "emulator-e2e-outside-"));
      bed.later(() => rm(outside, { recursive: true, force: true }));
      // What an earlier run would have removed or written there.
      const victim = where === "e2e" ? outside : path.join(outside, "e2e");
      await mkdir(path.join(victim, "junit"), { recursive: true });
      await writeFile(path.join(victim, "junit", "keep.xml"), "<keep/>");
      await writeFile(path.join(victim, "emulator.log"), "keep\n");
      await mkdir(path.join(ws.dir, path.dirname(link)), { recursive: true });
      await symlink(outside, path.join(ws.dir, link));

      const run = await runStep(env, ws.dir);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`artifacts: ${link} in the workspace is a symlink (to ${outside})`);
      expect(run.output).toContain("[E_ARTIFACTS_LINK]");
      expect(await readdir(path.join(victim, "junit"))).toEqual(["keep.xml"]);
      expect((await readdir(victim)).sort()).toEqual(["emulator.log", "junit"]);
      expect(sdk.transcript()).toEqual([]);
    });
  }
});
