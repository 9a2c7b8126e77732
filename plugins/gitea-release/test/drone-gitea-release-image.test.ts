import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { type GiteaStandIn, type PluginImage, pluginImage } from "@hangar/testbed";
import { beforeEach, describe, expect, it } from "vitest";
import { droneStep, droneStepEnv, EXAMPLE_SUM_FILES, perTest } from "./helpers.ts";

/**
 * drone-gitea-release's checksum example as the `.drone.yml` step a user has, with only its
 * `image:` changed to hangar's, run by the test bed's Drone-step runner (the image, the workspace
 * mounted at /drone/src) against the Gitea stand-in in place of `https://your.gitea.tld`.
 */

const IMAGE = "hangar/gitea-release:dev";
const image = await pluginImage(IMAGE);

/** The example's step, its image hangar's. */
const STEP = (await droneStep("index-checksums")).replace("image: plugins/gitea-release", `image: ${IMAGE}`);

/** What the build left in the workspace. */
const files: Record<string, string> = {
  "dist/app-linux-amd64": "linux binary\n",
  "bin/binary.exe": "windows binary\n",
};

describe.skipIf(!image)("drone-gitea-release's checksum example on hangar's image", () => {
  const step = image as PluginImage;
  const { start, workspace } = perTest(undefined, { worldWritable: true, files });
  let gitea: GiteaStandIn;
  beforeEach(async () => {
    gitea = await start({ token: "xxxxxxxx" });
  });

  it("publishes the files and one checksum file per algorithm, named and formatted as drone-gitea-release does", async () => {
    const result = await step.run(workspace.dir, droneStepEnv(gitea, STEP, {}, IMAGE));
    expect(result.exitCode, result.output).toBe(0);

    const release = gitea.release("v1.2.0");
    expect(release?.draft).toBe(false);
    const download = async (name: string) => {
      const asset = release?.assets.find((each) => each.name === name);
      return (await fetch(asset?.downloadUrl ?? "")).text();
    };
    expect(release?.assets.map((asset) => asset.name).sort()).toEqual(
      ["app-linux-amd64", "binary.exe", ...EXAMPLE_SUM_FILES].sort(),
    );
    const linux = files["dist/app-linux-amd64"] ?? "";
    const exe = files["bin/binary.exe"] ?? "";
    // One line per file, in the order of their workspace paths (bin/ before dist/).
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(await download("sha256sum.txt")).toBe(
      `${sha256(exe)}  binary.exe\n${sha256(linux)}  app-linux-amd64\n`,
    );
    expect(await download("crc32sum.txt")).toBe(
      `${crc32(exe)}  binary.exe\n${crc32(linux)}  app-linux-amd64\n`,
    );
    expect(gitea.schemaProblems()).toEqual([]);
  });
});
