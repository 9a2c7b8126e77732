import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFixture } from "../src/availability.ts";
import { ensureDockerEngine } from "../src/docker-engine.ts";
import { startRegistry } from "../src/registry.ts";
import { run } from "../src/run.ts";
import { makeTempDir } from "../src/temp-dir.ts";

describe("container registry", () => {
  const registry = serverFixture("a container registry", () => startRegistry());
  const docker = serverFixture("the Docker Engine", () => ensureDockerEngine());
  beforeAll(registry.setup);
  beforeAll(docker.setup);
  afterAll(registry.teardown);
  afterAll(docker.teardown);

  it("answers the distribution API on loopback", async (ctx) => {
    const server = registry.get(ctx);
    expect(server.host).toBe(`127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(await server.catalog()).toEqual([]);
  });

  it("takes a pushed image, serves it back and lists it", async (ctx) => {
    const server = registry.get(ctx);
    const engine = docker.get(ctx);
    const dir = await makeTempDir("registry-test");
    const repository = `hangar-testbed/tiny-${randomBytes(4).toString("hex")}`;
    const image = `${server.host}/${repository}:1`;
    const docker_ = (...args: string[]) => run("docker", args, { env: engine.env, timeoutMs: 60_000 });
    try {
      await writeFile(join(dir.path, "hello.txt"), "hello from the hangar test bed\n");
      await run("tar", ["-cf", join(dir.path, "rootfs.tar"), "-C", dir.path, "hello.txt"]);
      await docker_("import", join(dir.path, "rootfs.tar"), image);
      await docker_("push", image);
      const { stdout: pushedId } = await docker_("image", "inspect", "--format", "{{.Id}}", image);
      await docker_("image", "rm", image);
      await docker_("pull", image);
      const { stdout: pulledId } = await docker_("image", "inspect", "--format", "{{.Id}}", image);
      expect(pulledId.trim()).toBe(pushedId.trim());
      expect(await server.catalog()).toEqual([repository]);
      const tags = (await (await fetch(`${server.url}/v2/${repository}/tags/list`)).json()) as {
        tags: string[];
      };
      expect(tags.tags).toEqual(["1"]);
    } finally {
      await docker_("image", "rm", "--force", image).catch(() => undefined);
      await dir.remove();
    }
  });
});
