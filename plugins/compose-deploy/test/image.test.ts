import path from "node:path";
import { type PluginImage, pluginImage, type Sshd, testbed } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, sshSettings } from "./helpers.ts";
import { stackBed, staticBusybox, webAnswer } from "./stack.ts";

const REGISTRY_PASSWORD = "image-registry-Pa55";
const DB_PASSWORD = "image-db-s3cret";

const image = await pluginImage("hangar/compose-deploy:dev");
const sshd = image ? await testbed.sshd() : undefined;
const registry = sshd ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

describe.skipIf(!busybox)("the compose-deploy image, run the Drone way", () => {
  const project = `image-${process.pid}`;
  const servers = { registry, busybox, stop: [registry, sshd] };
  const stack = stackBed("image", servers, { worldWritable: true, projects: [project] });
  const { workspace, target } = stack;

  it("deploys the stack over SSH and proves it, without a secret in its output", async () => {
    const result = await (image as PluginImage).run(
      workspace.dir,
      droneEnv({
        ...sshSettings(sshd as Sshd),
        ...stack.settings(project, "v1", REGISTRY_PASSWORD),
        PLUGIN_ENV_SECRETS: "DB_PASSWORD",
        DB_PASSWORD,
      }),
    );
    expect(result.exitCode, result.output).toBe(0);
    expect(result.stdout).toContain("✔ deployed");
    expect(await webAnswer(stack.ports)).toBe("200 web v1");
    for (const secret of [REGISTRY_PASSWORD, DB_PASSWORD]) {
      expect(result.output).not.toContain(secret);
    }
    expect(result.card?.status).toBe("success");
    expect(result.outputs.COMPOSE_DEPLOY_RELEASE_DIR).toBe(path.join(target.dir, "releases", "41-5e1d0c9b"));
  }, 120_000);
});
