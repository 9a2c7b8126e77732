import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type GiteaStandIn, type PluginImage, pluginImage } from "@hangar/testbed";
import { beforeEach, describe, expect, it } from "vitest";
import { droneTagEnv, perTest, TOKEN } from "./helpers.ts";

const image = await pluginImage("hangar/gitea-release:dev");

describe.skipIf(!image)("the gitea-release image, run the Drone way", () => {
  const step = image as PluginImage;
  const { start, workspace } = perTest(undefined, { worldWritable: true });
  let gitea: GiteaStandIn;
  beforeEach(async () => {
    gitea = await start();
  });

  it("publishes the release with its assets and checksums from the mounted workspace", async () => {
    await mkdir(path.join(workspace.dir, "dist"));
    await writeFile(path.join(workspace.dir, "dist", "app.apk"), "android build\n");
    const result = await step.run(
      workspace.dir,
      droneTagEnv(gitea.url, {
        PLUGIN_FILES: "dist/*.apk",
        PLUGIN_CHECKSUM: "sha256",
        PLUGIN_GENERATE_NOTES: "true",
      }),
    );
    expect(result.exitCode, result.output).toBe(0);
    expect(gitea.release("v1.2.0")).toMatchObject({ draft: false });
    expect(
      gitea
        .release("v1.2.0")
        ?.assets.map((asset) => asset.name)
        .sort(),
    ).toEqual(["app.apk", "sha256sum.txt"]);
    expect(result.output).not.toContain(TOKEN);
    expect(result.outputs.GITEA_RELEASE_URL).toBe(`${gitea.url}/acme/app/releases/tag/v1.2.0`);
    expect(gitea.schemaProblems()).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await step.run(
      workspace.dir,
      droneTagEnv(gitea.url, { PLUGIN_FILES: "dist/*.apk", PLUGIN_CHECKSUM: "crc64" }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("checksum");
    expect(result.stderr).toContain("dist/*.apk");
    expect(gitea.requests()).toEqual([]);
  });
});
