import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAndroidSdk } from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { baseEnv, fakeDriverSettings, runStep, workspace } from "./helpers.ts";

const AVD = "hangar-34-google_apis-x86_64";

/**
 * A repository that commits a link on the artifacts' path: the evidence (and the removal of an
 * earlier run's) would land outside the workspace. The step refuses it before anything starts.
 */
describe("the artifacts folder", { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  for (const [link, where] of [
    [".hangar/e2e", "e2e"],
    [".hangar", "hangar"],
  ] as const) {
    it(`is refused when the repository makes ${link} a link to a folder outside the workspace`, async () => {
      const sdk = await createAndroidSdk({ avds: [AVD] });
      const ws = await workspace();
      const outside = await mkdtemp(path.join(tmpdir(), "emulator-e2e-outside-"));
      cleanups.push(sdk.remove, ws.remove, () => rm(outside, { recursive: true, force: true }));
      // What an earlier run would have removed or written there.
      const victim = where === "e2e" ? outside : path.join(outside, "e2e");
      await mkdir(path.join(victim, "junit"), { recursive: true });
      await writeFile(path.join(victim, "junit", "keep.xml"), "<keep/>");
      await writeFile(path.join(victim, "emulator.log"), "keep\n");
      await mkdir(path.join(ws.dir, path.dirname(link)), { recursive: true });
      await symlink(outside, path.join(ws.dir, link));

      const run = await runStep(
        baseEnv(sdk.root, { ...fakeDriverSettings(ws.dir), specs: "e2e/login.spec.mjs" }),
        ws.dir,
      );
      expect(run.code).toBe(1);
      expect(run.output).toContain(`artifacts: ${link} in the workspace is a symlink (to ${outside})`);
      expect(run.output).toContain("[E_ARTIFACTS_LINK]");
      expect(await readdir(path.join(victim, "junit"))).toEqual(["keep.xml"]);
      expect((await readdir(victim)).sort()).toEqual(["emulator.log", "junit"]);
      expect(sdk.transcript()).toEqual([]);
    });
  }
});
