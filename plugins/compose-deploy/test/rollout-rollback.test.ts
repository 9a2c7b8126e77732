/**
 * A rollback is a rollout of the previous release: when a later service of a rollout fails, the
 * services it already rolled forward come back the same way, beside the new containers, with no
 * failed request through the proxy.
 */
import { mkdir, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Sshd, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, runComposeDeploy, sshSettings, tempDir } from "./helpers.ts";
import {
  buildProxiedImages,
  caddyFiles,
  type ProxiedImages,
  proxiedAnswer,
  proxyPort,
  removeProxiedProject,
  steadyLoad,
} from "./proxied-stack.ts";
import { staticBusybox } from "./stack.ts";

// `api` starts after `web` (depends_on), so a failing api finds web already rolled forward.
const COMPOSE = `services:
  proxy:
    image: \${IMAGES}/proxy:1
    init: true
    ports:
      - "127.0.0.1:\${PROXY_PORT}:80"
  web:
    image: \${IMAGES}/web:\${IMAGE_TAG}
    init: true
    healthcheck: &health
      test: ["CMD", "/bin/busybox", "sh", "/app/health.sh"]
      interval: 1s
      timeout: 3s
      retries: 2
  api:
    image: \${IMAGES}/web:\${IMAGE_TAG}
    init: true
    depends_on: [web]
    environment:
      APP_HEALTH: \${API_HEALTH}
    healthcheck: *health
`;

const docker = await testbed.docker();
const sshd = docker ? await testbed.sshd() : undefined;
const busybox = sshd ? await staticBusybox() : undefined;
const caddy = busybox ? await caddyFiles() : undefined;

describe.skipIf(!caddy)("update: rollout, rolled back", () => {
  const server = sshd as Sshd;
  let images: ProxiedImages;
  let workspace: Awaited<ReturnType<typeof tempDir>>;
  let target: Awaited<ReturnType<typeof tempDir>>;
  let port: number;
  const project = `rollback-${process.pid}`;

  beforeAll(async () => {
    images = await buildProxiedImages(busybox as string, caddy as string[]);
    workspace = await tempDir("rollout-rollback");
    target = await tempDir("rollout-rollback-target");
    port = await proxyPort();
    await mkdir(path.join(workspace.dir, "deploy"), { recursive: true });
    await writeFile(path.join(workspace.dir, "deploy", "compose.yml"), COMPOSE);
  }, 180_000);
  afterAll(async () => {
    await removeProxiedProject(project);
    await images?.remove();
    await workspace?.remove();
    await target?.remove();
    await sshd?.stop();
  });

  const deploy = (build: number, tag: string, apiHealth: string) =>
    runComposeDeploy(
      droneEnv({
        ...sshSettings(server),
        DRONE_BUILD_NUMBER: String(build),
        DRONE_COMMIT_SHA: `${String(build).padStart(8, "0")}aaaabbbbccccddddeeeeffff00001111`,
        PLUGIN_PROJECT: project,
        PLUGIN_TARGET: target.dir,
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_ENV: JSON.stringify({
          IMAGES: images.prefix,
          IMAGE_TAG: tag,
          PROXY_PORT: String(port),
          API_HEALTH: apiHealth,
        }),
        PLUGIN_PULL: "false",
        PLUGIN_UPDATE: "rollout",
        PLUGIN_DRAIN: "1s",
        PLUGIN_WAIT_TIMEOUT: "30s",
      }),
      workspace.dir,
    );

  it("web rolled forward, api unhealthy: web is rolled back beside the new ones, 0 failed requests", async () => {
    const first = await deploy(1, "v1", "ok");
    expect(first.code, first.output).toBe(0);
    expect(await proxiedAnswer(port)).toBe("200 web v1");

    const load = steadyLoad(port);
    const second = await deploy(2, "v2", "fail");
    const seen = await load.stop();
    expect(second.code, second.output).toBe(1);
    expect(second.stdout).toContain("web: 1 new container(s) healthy, 1 old one(s) stopped and removed");
    expect(second.stderr).toMatch(/api: not healthy: .*its health check fails/);
    // The rollback rolls web out again, to release 1; api never left it.
    expect(second.stdout).toContain("rolling back to 1-00000001");
    expect(second.stdout).toContain("api: its 1 container(s) already run this release: left as they are");
    expect(second.stderr).toContain("rolled back to release 1-00000001, which is running and healthy again");
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toEqual(new Set(["web v1", "web v2"]));
    expect(await proxiedAnswer(port)).toBe("200 web v1");
    expect(await readlink(path.join(target.dir, "current"))).toBe("releases/1-00000001");
  }, 240_000);
});
