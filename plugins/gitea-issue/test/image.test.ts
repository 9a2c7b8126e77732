import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import { type GiteaStandIn, runDroneStep, secretLeaks, startGiteaStandIn, testbed } from "@hangar/testbed";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { droneEnv, droneGreenEnv, TOKEN, tempWorkspace } from "./helpers.ts";

const IMAGE = "hangar/gitea-issue:dev";

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

describe.skipIf(!image)("the gitea-issue image, run the Drone way", () => {
  it("opens the issue on a failed build and closes it on the next green one", async () => {
    const failed = await runDroneStep({ image: IMAGE, workspace: workspace.dir, env: droneEnv(gitea.url) });
    expect(failed.exitCode, failed.stdout + failed.stderr).toBe(0);
    expect(gitea.issues()).toMatchObject([{ number: 1, state: "open", labels: ["ci-failure"] }]);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs).toMatchObject({
      GITEA_ISSUE_ACTION: "opened",
      GITEA_ISSUE_URL: `${gitea.url}/acme/app/issues/1`,
    });

    const green = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneGreenEnv(gitea.url),
    });
    expect(green.exitCode, green.stdout + green.stderr).toBe(0);
    expect(gitea.issues()[0]?.state).toBe("closed");
    for (const run of [failed, green]) expect(secretLeaks(run.stdout + run.stderr, TOKEN)).toEqual([]);
    expect(gitea.schemaProblems()).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv(gitea.url, { PLUGIN_TIMEOUT: "soon", PLUGIN_CLOSE_ON_SUCCESS: "maybe" }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("timeout");
    expect(result.stderr).toContain("close_on_success");
    expect(gitea.requests()).toEqual([]);
  });
});
