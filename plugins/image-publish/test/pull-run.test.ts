/**
 * The image image-publish publishes is one the Docker Engine pulls and runs: a two-platform base
 * whose amd64 image is a static busybox, the context's file appended, run with the context's `cmd`.
 */
import { rmSync } from "node:fs";
import { pushIndex, RegistryClient } from "@hangar/oci";
import { type DockerEngine, type Registry, run, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { staticBusybox } from "../../compose-deploy/test/stack.ts";
import { archImage, buildEnv, busyboxImage, git, gitWorkspace, runImagePublish } from "./helpers.ts";

const engine: DockerEngine | undefined = await testbed.docker();
const registry: Registry | undefined = engine ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

const docker = async (...args: string[]) =>
  (await run("docker", args, { env: engine?.env, timeoutMs: 60_000 })).stdout.trim();

describe.skipIf(!busybox)("the amd64 image image-publish publishes, on the Docker Engine", () => {
  let dir = "";
  const image = `${registry?.host}/acme/hello:main`;
  afterAll(async () => {
    await docker("image", "rm", "--force", image).catch(() => undefined);
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is pulled, runs the context's command in /app and carries the OCI labels", async () => {
    const reg = registry as Registry;
    dir = gitWorkspace({ "hello.txt": "hello from the context\n" });
    const base = [busyboxImage(busybox as string), archImage("arm64")];
    await pushIndex(new RegistryClient({ host: reg.host }), "base/busybox", "1", base);
    const settings = {
      repo: `${reg.host}/acme/hello`,
      base: `${reg.host}/base/busybox:1`,
      cmd: '["/bin/sh","-c","cat /app/hello.txt"]',
      insecure: "true",
    };
    const published = await runImagePublish(buildEnv(dir, settings), dir);
    expect(published.code, published.output).toBe(0);

    await docker("pull", "--platform", "linux/amd64", image);
    const output = await docker("run", "--rm", "--network", "none", "--platform", "linux/amd64", image);
    expect(output).toBe("hello from the context");
    const config = JSON.parse(await docker("image", "inspect", "--format", "{{json .Config}}", image));
    expect(config.WorkingDir).toBe("/app");
    const epoch = Number(git(dir, ["show", "-s", "--format=%ct", "HEAD"]));
    expect(config.Labels).toMatchObject({
      "org.opencontainers.image.source": "https://gitea.example.com/acme/app",
      "org.opencontainers.image.revision": git(dir, ["rev-parse", "HEAD"]),
      "org.opencontainers.image.created": new Date(epoch * 1000).toISOString(),
    });
  }, 30_000);
});
