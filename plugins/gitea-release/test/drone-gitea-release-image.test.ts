import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import {
  encodeSettings,
  type GiteaStandIn,
  type PluginImage,
  pluginImage,
  stepsInSnippet,
} from "@hangar/testbed";
import { beforeEach, describe, expect, it } from "vitest";
import { droneTagEnv, perTest } from "./helpers.ts";

/**
 * drone-gitea-release's checksum example as the `.drone.yml` step a user has, with only its
 * `image:` changed to hangar's, run by the test bed's Drone-step runner (the image, the workspace
 * mounted at /drone/src) against the Gitea stand-in in place of `https://your.gitea.tld`.
 */

const IMAGE = "hangar/gitea-release:dev";
const image = await pluginImage(IMAGE);

const STEP = `
steps:
- name: gitea_release
  image: ${IMAGE}
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files:
      - dist/*
      - bin/binary.exe
    checksum:
      - md5
      - sha1
      - sha256
      - sha512
      - adler32
      - crc32
  when:
    event: tag
`;

describe.skipIf(!image)("drone-gitea-release's checksum example on hangar's image", () => {
  const step = image as PluginImage;
  const { start, workspace } = perTest(undefined, { worldWritable: true });
  let gitea: GiteaStandIn;
  beforeEach(async () => {
    gitea = await start({ token: "xxxxxxxx" });
  });

  it("publishes the files and one checksum file per algorithm, named and formatted as drone-gitea-release does", async () => {
    const files: Record<string, string> = {
      "dist/app-linux-amd64": "linux binary\n",
      "bin/binary.exe": "windows binary\n",
    };
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(workspace.dir, name)), { recursive: true });
      await writeFile(path.join(workspace.dir, name), content);
    }
    const [snippet] = stepsInSnippet(STEP.replaceAll("https://your.gitea.tld", gitea.url), {});
    const { env: settings } = encodeSettings(snippet?.settings, () => undefined);
    const { PLUGIN_API_KEY: _token, ...build } = droneTagEnv(gitea.url);
    const result = await step.run(workspace.dir, { ...build, ...settings });
    expect(result.exitCode, result.output).toBe(0);

    const release = gitea.release("v1.2.0");
    expect(release?.draft).toBe(false);
    const download = async (name: string) => {
      const asset = release?.assets.find((each) => each.name === name);
      return (await fetch(asset?.downloadUrl ?? "")).text();
    };
    expect(release?.assets.map((asset) => asset.name).sort()).toEqual([
      "adler32sum.txt",
      "app-linux-amd64",
      "binary.exe",
      "crc32sum.txt",
      "md5sum.txt",
      "sha1sum.txt",
      "sha256sum.txt",
      "sha512sum.txt",
    ]);
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
