import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type GiteaStandIn, runDroneStep, startGiteaStandIn, testbed } from "@hangar/testbed";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { droneTagEnv, TOKEN, tempWorkspace } from "./helpers.ts";

const IMAGE = "hangar/gitea-release:dev";

const image = await testbed.image(IMAGE);

let gitea: GiteaStandIn;
let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
beforeEach(async () => {
  gitea = await startGiteaStandIn({ owner: "acme", repo: "app", token: TOKEN });
  workspace = await tempWorkspace();
  // The image runs as uid 1000, as it would on a runner whose workspace it may write to.
  await chmod(workspace.dir, 0o777);
});
afterEach(async () => {
  await gitea.stop();
  await workspace.remove();
});

describe.skipIf(!image)("the gitea-release image, run the Drone way", () => {
  it("publishes the release with its assets and checksums from the mounted workspace", async () => {
    await mkdir(path.join(workspace.dir, "dist"));
    await writeFile(path.join(workspace.dir, "dist", "app.apk"), "android build\n");
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneTagEnv(gitea.url, {
        PLUGIN_FILES: "dist/*.apk",
        PLUGIN_CHECKSUM: "sha256",
        PLUGIN_GENERATE_NOTES: "true",
      }),
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(gitea.release("v1.2.0")).toMatchObject({ draft: false });
    expect(
      gitea
        .release("v1.2.0")
        ?.assets.map((asset) => asset.name)
        .sort(),
    ).toEqual(["app.apk", "sha256sum.txt"]);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.GITEA_RELEASE_URL).toBe(`${gitea.url}/acme/app/releases/tag/v1.2.0`);
    expect(gitea.schemaProblems()).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneTagEnv(gitea.url, { PLUGIN_FILES: "dist/*.apk", PLUGIN_CHECKSUM: "crc64" }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("checksum");
    expect(result.stderr).toContain("dist/*.apk");
    expect(gitea.requests()).toEqual([]);
  });
});
