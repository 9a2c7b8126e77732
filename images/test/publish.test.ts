/**
 * images/publish.sh: the tags it derives from a version (dry run, no Docker needed), and a real
 * push of one built image to the test bed's registry on loopback when Docker is there.
 */
import { join } from "node:path";
import { imageExists, type Registry, RunError, requireServer, run, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { bundleablePlugins, ROOT } from "../../scripts/build.ts";

const PUBLISH = join(ROOT, "images", "publish.sh");

function publish(args: string[], env: Record<string, string>) {
  const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  return run("bash", [PUBLISH, ...args], { env: { ...clean, ...env }, timeoutMs: 300_000 });
}

async function plannedTags(version: string): Promise<string[]> {
  const { stdout } = await publish(["--dry-run", "demo"], {
    REGISTRY: "gitea.example.com",
    IMAGE_PREFIX: "acme/hangar",
    DRONE_TAG: version,
  });
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("would push"))
    .map((l) => l.replace(/^would push hangar\/demo:dev as gitea\.example\.com\/acme\/hangar\/demo:/, ""));
}

describe("images/publish.sh tags", () => {
  it.each([
    ["v1.2.3", ["1.2.3", "1.2", "1", "latest"]],
    ["1.2.3", ["1.2.3", "1.2", "1", "latest"]],
    ["0.4.2", ["0.4.2", "0.4", "latest"]],
    ["v2.0.0-rc.1", ["2.0.0-rc.1"]],
    ["2.0.0+build.7", ["2.0.0_build.7", "2.0", "2", "latest"]],
    ["nightly", ["nightly"]],
  ])("%s -> %j", async (version, tags) => {
    expect(await plannedTags(version)).toEqual(tags);
  });

  it("lists every missing setting at once and never needs a password for a dry run", async () => {
    const error = await publish([], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    const stderr = (error as RunError).stderr;
    for (const name of ["REGISTRY", "IMAGE_PREFIX", "DRONE_TAG", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"]) {
      expect(stderr).toContain(name);
    }
  });

  it("rejects a version that cannot be an image tag", async () => {
    await expect(plannedTags("not a tag")).rejects.toThrow(
      /neither a semantic version nor a valid image tag/,
    );
  });
});

const plugin = bundleablePlugins()[0];
const docker = await testbed.docker();
const image =
  docker && plugin
    ? await requireServer(`the image hangar/${plugin}:dev (built by \`pnpm images\`)`, async () => {
        if (!(await imageExists(`hangar/${plugin}:dev`))) throw new Error(`run \`pnpm images\` first`);
        return `hangar/${plugin}:dev`;
      })
    : undefined;
const registry: Registry | undefined = image ? await testbed.registry() : undefined;
afterAll(() => registry?.stop());

describe.skipIf(!image || !registry)("images/publish.sh against a registry on loopback", () => {
  it("logs in, pushes every tag, logs out and never prints the password", { timeout: 300_000 }, async () => {
    const reg = registry as Registry;
    const password = "publish-Pa55word-never-printed";
    const { stdout, stderr } = await publish([plugin ?? ""], {
      REGISTRY: reg.host,
      IMAGE_PREFIX: "test/hangar",
      REGISTRY_USERNAME: "ci",
      REGISTRY_PASSWORD: password,
      DRONE_TAG: "v3.1.4",
    });
    expect(stdout + stderr).not.toContain(password);
    expect(await reg.catalog()).toContain(`test/hangar/${plugin}`);
    const response = await fetch(`${reg.url}/v2/test/hangar/${plugin}/tags/list`);
    const { tags } = (await response.json()) as { tags: string[] };
    expect(tags.sort()).toEqual(["3", "3.1", "3.1.4", "latest"]);
    // The pushed tags are not left behind locally.
    expect(await imageExists(`${reg.host}/test/hangar/${plugin}:3.1.4`)).toBe(false);
  });
});
