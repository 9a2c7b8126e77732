import { chmod } from "node:fs/promises";
import { runDroneStep, type S3Store, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, SECRET_KEY, siteWorkspace, type Workspace } from "./helpers.ts";
import { startTestStore } from "./s3-store.ts";

const IMAGE = "hangar/release-site:dev";
const image = await testbed.image(IMAGE);

let store: S3Store;
let workspace: Workspace;
beforeAll(async () => {
  store = await startTestStore();
  workspace = await siteWorkspace();
  // The image runs as uid 1000, as it would on a runner whose workspace it may write to.
  await chmod(workspace.dir, 0o777);
});
afterAll(async () => {
  await store?.stop();
  await workspace?.remove();
});

describe.skipIf(!image)("the release-site image, run the Drone way", () => {
  it("publishes the APK with its checksums, latest.json and the page from the mounted workspace", async () => {
    await workspace.dist({ "calchat.apk": "android build\n" });
    await chmod(`${workspace.dir}/dist`, 0o777);
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv(store.endpoint, { PLUGIN_PREFIX: "image" }),
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(await store.keys("image/")).toEqual([
      "image/index.html",
      "image/index.json",
      "image/stable/1.2.0/SHA256SUMS",
      "image/stable/1.2.0/calchat.apk",
      "image/stable/latest.json",
    ]);
    expect(result.stdout + result.stderr).not.toContain(SECRET_KEY);
    expect((await workspace.outputs()).RELEASE_SITE_VERSION).toBe("1.2.0");
  });
});
