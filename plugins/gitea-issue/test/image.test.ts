import { type GiteaStandIn, type PluginImage, pluginImage, secretLeaks } from "@hangar/testbed";
import { beforeEach, describe, expect, it } from "vitest";
import { droneEnv, droneGreenEnv, perTest, TOKEN } from "./helpers.ts";

const image = await pluginImage("hangar/gitea-issue:dev");

describe.skipIf(!image)("the gitea-issue image, run the Drone way", () => {
  const step = image as PluginImage;
  const { start, workspace } = perTest(undefined, { worldWritable: true });
  let gitea: GiteaStandIn;
  beforeEach(async () => {
    gitea = await start();
  });

  it("opens the issue on a failed build and closes it on the next green one", async () => {
    const failed = await step.run(workspace.dir, droneEnv(gitea.url));
    expect(failed.exitCode, failed.output).toBe(0);
    expect(gitea.issues()).toMatchObject([{ number: 1, state: "open", labels: ["ci-failure"] }]);
    expect(failed.outputs).toMatchObject({
      GITEA_ISSUE_ACTION: "opened",
      GITEA_ISSUE_URL: `${gitea.url}/acme/app/issues/1`,
    });

    const green = await step.run(workspace.dir, droneGreenEnv(gitea.url));
    expect(green.exitCode, green.output).toBe(0);
    expect(gitea.issues()[0]?.state).toBe("closed");
    for (const run of [failed, green]) expect(secretLeaks(run.output, TOKEN)).toEqual([]);
    expect(gitea.schemaProblems()).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await step.run(
      workspace.dir,
      droneEnv(gitea.url, { PLUGIN_TIMEOUT: "soon", PLUGIN_CLOSE_ON_SUCCESS: "maybe" }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("timeout");
    expect(result.stderr).toContain("close_on_success");
    expect(gitea.requests()).toEqual([]);
  });
});
