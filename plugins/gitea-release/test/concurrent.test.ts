import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type GiteaStandIn, tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneTagEnv, followsSchema, perTest, runGiteaRelease } from "./helpers.ts";

const bed = perTest(followsSchema);
const { publish, workspace } = bed;

const UPLOADS = { method: "POST", pathPattern: "repoCreateReleaseAttachment" } as const;

/** The stand-in, and the build's two outputs in the workspace. */
async function start(): Promise<GiteaStandIn> {
  const gitea = await bed.start();
  // Uploads take a while, as over a real network: the runs overlap while they upload.
  gitea.addLatency({ ...UPLOADS, ms: 400 });
  await mkdir(path.join(workspace.dir, "dist"), { recursive: true });
  await writeFile(path.join(workspace.dir, "dist", "app-release.apk"), "android build\n");
  await writeFile(path.join(workspace.dir, "dist", "app-release.ipa"), "ios build\n");
  return gitea;
}

/** Until the first run's draft exists and its first upload is under way. */
async function firstUploadStarted(g: GiteaStandIn): Promise<void> {
  const started = Date.now();
  while (g.count(UPLOADS) === 0) {
    if (Date.now() - started > 10_000) throw new Error("the first run never started uploading");
    await sleep(20);
  }
}

/** The files with a checksum file, uploaded one at a time. */
const CHECKSUMMED = { PLUGIN_FILES: "dist/*", PLUGIN_CHECKSUM: "sha256", PLUGIN_PARALLEL: "1" };

/** The release of the tag, and the names of its assets with how often each is there. */
function finalState(g: GiteaStandIn, tag: string) {
  const releases = g.releases().filter((release) => release.tag === tag);
  const names = (releases[0]?.assets ?? []).map((asset) => asset.name).sort();
  return { count: releases.length, names, draft: releases[0]?.draft };
}

const ASSETS = ["app-release.apk", "app-release.ipa", "sha256sum.txt"];

describe("gitea-release: two runs for one tag at once", () => {
  it("started together, they end with one release holding each asset once", async () => {
    const g = await start();
    const runs = await Promise.all([publish(g, CHECKSUMMED), publish(g, CHECKSUMMED)]);
    for (const run of runs) expect(run.code, run.output).toBe(0);
    expect(finalState(g, "v1.2.0")).toEqual({ count: 1, names: ASSETS, draft: false });
    // Only one draft was ever created; the other run adopted it.
    expect(g.events().filter((event) => event.type === "release.created")).toHaveLength(1);
    expect(runs.map((run) => run.output).join("\n")).toMatch(/created draft release v1\.2\.0/);
    expect(runs.map((run) => run.output).join("\n")).toMatch(/(adopted|found) draft release v1\.2\.0/);
  });

  it("a re-run while the first still uploads adopts its draft instead of creating a second", async () => {
    const g = await start();
    const first = publish(g, CHECKSUMMED);
    await firstUploadStarted(g);
    const second = await publish(g, CHECKSUMMED);
    const firstRun = await first;
    expect(firstRun.code, firstRun.output).toBe(0);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain("found draft release v1.2.0");
    expect(finalState(g, "v1.2.0")).toEqual({ count: 1, names: ASSETS, draft: false });
    expect(g.events().filter((event) => event.type === "release.created")).toHaveLength(1);
  });

  it("a first run that fails does not remove the draft a second run has adopted", async () => {
    const g = await start();
    g.configure({ allowedTypes: ".apk" });
    // The first run also attaches a file type Gitea refuses: it fails after its apk is up.
    const other = await tempWorkspace("gitea-release", {
      files: { "dist/app-release.apk": "android build\n", "dist/tool.exe": "MZ windows build\n" },
    });
    try {
      const failing = runGiteaRelease(
        droneTagEnv(g.url, { PLUGIN_FILES: "dist/*", PLUGIN_PARALLEL: "1" }),
        other.dir,
      );
      await firstUploadStarted(g);
      const second = await publish(g, { PLUGIN_FILES: "dist/*.apk" });
      const first = await failing;
      expect(first.code, first.output).toBe(1);
      expect(first.output).toContain("ALLOWED_TYPES");
      expect(second.code, second.output).toBe(0);
      expect(finalState(g, "v1.2.0")).toEqual({ count: 1, names: ["app-release.apk"], draft: false });
    } finally {
      await other.remove();
    }
  });

  it("with file_exists: skip, the runs still leave each asset once", async () => {
    const g = await start();
    const skip = { PLUGIN_FILES: "dist/*", PLUGIN_FILE_EXISTS: "skip" };
    const runs = await Promise.all([publish(g, skip), sleep(150).then(() => publish(g, skip))]);
    for (const run of runs) expect(run.code, run.output).toBe(0);
    expect(finalState(g, "v1.2.0")).toEqual({
      count: 1,
      names: ["app-release.apk", "app-release.ipa"],
      draft: false,
    });
  });
});
