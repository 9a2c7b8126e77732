import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type GiteaStandIn,
  type SlowLink,
  startGiteaStandIn,
  startSlowLink,
  tempWorkspace,
  type Workspace,
} from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { droneTagEnv, runGiteaRelease, TOKEN } from "./helpers.ts";

let gitea: GiteaStandIn | undefined;
let link: SlowLink | undefined;
let workspace: Workspace | undefined;
afterEach(async () => {
  await link?.stop();
  await gitea?.stop();
  await workspace?.remove();
});

describe("gitea-release on a slow link", () => {
  it("says how far a long upload is every 5 s; the summary and the card give the total and the rate", {
    timeout: 40_000,
  }, async () => {
    gitea = await startGiteaStandIn({ owner: "acme", repo: "app", token: TOKEN });
    // 1.5 MiB at 192 KiB/s: about 8 s, so one progress line and not a test that drags.
    const { hostname, port } = new URL(gitea.url);
    link = await startSlowLink({ host: hostname, port: Number(port) }, 192 * 1024);
    workspace = await tempWorkspace("gitea-release");
    await writeFile(path.join(workspace.dir, "app.apk"), Buffer.alloc(1536 * 1024, 7));
    const cardPath = path.join(workspace.dir, "card.json");
    const run = await runGiteaRelease(
      droneTagEnv(`http://${link.host}:${link.port}`, {
        DRONE_REPO_LINK: `http://${link.host}:${link.port}/acme/app`,
        DRONE_CARD_PATH: cardPath,
        PLUGIN_FILES: "app.apk",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const lines = run.output
      .split("\n")
      .filter((line) => / {2}↑ app\.apk: .* of 1\.5 MiB \(\d+%\), /.test(line));
    expect(lines.length, run.output).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/ {2}↑ app\.apk: [\d.]+ (KiB|MiB) of 1\.5 MiB \((\d+)%\), [\d.]+ KiB\/s$/);
    expect(run.output).toMatch(/ {2}↑ app\.apk \(1\.5 MiB, [\d.]+s, [\d.]+ KiB\/s\)/);
    expect(run.output).toMatch(/1 uploaded, 0 replaced, 0 kept \(1\.5 MiB at [\d.]+ KiB\/s\)/);
    const card = JSON.parse(await readFile(cardPath, "utf8"));
    expect(card.data.facts).toContainEqual({
      name: "Uploaded",
      value: expect.stringMatching(/^1\.5 MiB at [\d.]+ KiB\/s$/),
    });
    expect(gitea.release("v1.2.0")?.assets.map((asset) => asset.name)).toEqual(["app.apk"]);
  });
});
