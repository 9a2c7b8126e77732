import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import { type Registry, runDroneStep, type Sshd, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, sshSettings, tempDir } from "./helpers.ts";
import {
  pushTestImages,
  removeProject,
  type StackPorts,
  stackEnv,
  stackPorts,
  staticBusybox,
  type TestImages,
  webAnswer,
  writeStack,
} from "./stack.ts";

const IMAGE = "hangar/compose-deploy:dev";
const REGISTRY_PASSWORD = "image-registry-Pa55";
const DB_PASSWORD = "image-db-s3cret";

const image = await testbed.image(IMAGE);
const sshd = image ? await testbed.sshd() : undefined;
const registry = sshd ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

describe.skipIf(!busybox)("the compose-deploy image, run the Drone way", () => {
  let images: TestImages;
  let workspace: Awaited<ReturnType<typeof tempDir>>;
  let target: Awaited<ReturnType<typeof tempDir>>;
  let ports: StackPorts;
  const project = `image-${process.pid}`;

  beforeAll(async () => {
    images = await pushTestImages(registry as Registry, busybox as string);
    workspace = await tempDir("image-workspace");
    target = await tempDir("image-target");
    // The image runs as uid 1000, as it would on a runner whose workspace it may write to.
    await chmod(workspace.dir, 0o777);
    ports = await stackPorts();
    await writeStack(workspace.dir);
  });
  afterAll(async () => {
    await removeProject(project);
    await images?.remove();
    await workspace?.remove();
    await target?.remove();
    await registry?.stop();
    await sshd?.stop();
  });

  it("deploys the stack over SSH and proves it, without a secret in its output", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv({
        ...sshSettings(sshd as Sshd),
        PLUGIN_PROJECT: project,
        PLUGIN_TARGET: target.dir,
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_ENV: stackEnv(images, ports, "v1"),
        PLUGIN_ENV_SECRETS: "DB_PASSWORD",
        DB_PASSWORD,
        PLUGIN_REGISTRY: (registry as Registry).host,
        PLUGIN_REGISTRY_USERNAME: "ci",
        PLUGIN_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
        PLUGIN_VERIFY_URL: `http://127.0.0.1:${ports.web}/cgi-bin/status`,
        DRONE_CARD_PATH: "/dev/stdout",
      }),
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("✔ deployed");
    expect(await webAnswer(ports)).toBe("200 web v1");
    for (const secret of [REGISTRY_PASSWORD, DB_PASSWORD]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    const esc = String.fromCharCode(27);
    const card = new RegExp(`${esc}\\]1338;([A-Za-z0-9+/=]+)${esc}\\]0m`).exec(result.stdout);
    expect(JSON.parse(Buffer.from(card?.[1] ?? "", "base64").toString()).data.status).toBe("success");
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.COMPOSE_DEPLOY_RELEASE_DIR).toBe(path.join(target.dir, "releases", "41-5e1d0c9b"));
  }, 120_000);
});
