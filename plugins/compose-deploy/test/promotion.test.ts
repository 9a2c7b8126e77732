import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, runComposeDeploy, tempDir } from "./helpers.ts";
import { writeProxiedStack } from "./proxied-stack.ts";

describe("a promotion (`drone build promote acme/shop 7 production`)", () => {
  let workspace: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    workspace = await tempDir("promotion");
    await writeProxiedStack(workspace.dir);
  });
  afterAll(async () => workspace?.remove());

  it("names the promoted build and its target, and deploys it even over a newer build", async () => {
    const run = await runComposeDeploy(
      droneEnv({
        DRONE_BUILD_EVENT: "promote",
        DRONE_DEPLOY_TO: "production",
        DRONE_BUILD_PARENT: "7",
        DRONE_BUILD_NUMBER: "9",
        PLUGIN_HOST: "127.0.0.1:2222",
        PLUGIN_USERNAME: "deploy",
        PLUGIN_PASSWORD: "unused",
        PLUGIN_INSECURE_IGNORE_HOST_KEY: "true",
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_DRY_RUN: "true",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("promotion: build 7 promoted to production as build 9");
    expect(run.stdout).toContain("deploy even over a newer build (force or a promote/rollback event)");
  });
});
