/**
 * image-publish merging images built elsewhere (`sources`) into one index, against the test bed's
 * registry behind a Gitea-like token front that records every request and the scopes of every
 * token asked for: the blobs are mounted from the sources' repositories, not copied through the step.
 */
import { rmSync } from "node:fs";
import { pushIndex, pushPlatformImage, RegistryClient } from "@hangar/oci";
import { type Registry, readStepOutputs, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTokenRegistry, type TokenRegistry } from "../../../images/test/token-registry.ts";
import { archImage, buildEnv, git, gitWorkspace, runImagePublish } from "./helpers.ts";

const PASSWORD = "merge-Pa55word-never-printed";
const registry: Registry | undefined = await testbed.registry();
let front: TokenRegistry | undefined;
let dir = "";
const direct = () => new RegistryClient({ host: registry?.host ?? "" });

function merge(sources: string[], repo: string, tag?: string) {
  const settings = { repo, username: "ci", password: PASSWORD, sources: sources.join(",") };
  return runImagePublish(buildEnv(dir, settings, tag), dir);
}

describe("sources that cannot be merged by mounting", () => {
  it("refuses a source in another registry and `sources` with `base`, before any registry is asked", async () => {
    const ws = gitWorkspace({ "a.txt": "a" });
    try {
      const run = await runImagePublish(
        buildEnv(ws, {
          repo: "127.0.0.1:9/acme/app",
          sources: "127.0.0.1:9/acme/app:1-amd64,ghcr.io/acme/app:1-arm64",
          dry_run: "true",
        }),
        ws,
      );
      expect(run.code).not.toBe(0);
      expect(run.output).toContain("ghcr.io/acme/app:1-arm64 is not in 127.0.0.1:9");
      const both = await runImagePublish(
        buildEnv(ws, { repo: "127.0.0.1:9/acme/app", sources: "127.0.0.1:9/a:1", base: "node:24" }),
        ws,
      );
      expect(both.output).toContain("and `base` exclude each other");
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!registry)("merging per-platform images", () => {
  beforeAll(async () => {
    await pushPlatformImage(direct(), "acme/build-amd64", archImage("amd64"), "1.0.0");
    await pushPlatformImage(direct(), "acme/build-arm64", archImage("arm64"), "1.0.0");
    await pushIndex(direct(), "acme/multi", "1.0.0", [archImage("amd64"), archImage("arm64")]);
    front = await startTokenRegistry((registry as Registry).url, "ci", PASSWORD);
    dir = gitWorkspace({ "a.txt": "a" });
    git(dir, ["tag", "-a", "v1.0.0", "-m", "1.0.0"]);
  });
  afterAll(async () => {
    await front?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lists both platforms in one index, their manifests unchanged, every blob mounted, none copied", async () => {
    const host = front?.host;
    const first = front?.requests.length ?? 0;
    const run = await merge(
      [`${host}/acme/build-amd64:1.0.0`, `${host}/acme/build-arm64:1.0.0`],
      `${host}/acme/merged`,
      "v1.0.0",
    );
    expect(run.code, run.output).toBe(0);
    const outputs = await readStepOutputs(dir);
    expect(outputs.IMAGE_PUBLISH_PLATFORMS).toBe("linux/amd64,linux/arm64");
    expect(outputs.IMAGE_PUBLISH_TAGS).toBe("1.0.0,1.0,1,latest");
    expect(run.output).toContain("nothing (4 blobs mounted from the sources)");

    const client = direct();
    const index = await client.getManifest("acme/merged", "latest");
    expect(index?.digest).toBe(outputs.IMAGE_PUBLISH_DIGEST);
    const entries = index?.json.manifests as { digest: string; platform: { architecture: string } }[];
    expect(entries.map((e) => e.platform.architecture)).toEqual(["amd64", "arm64"]);
    expect(entries.map((e) => e.digest)).toEqual([
      await client.resolve("acme/build-amd64", "1.0.0"),
      await client.resolve("acme/build-arm64", "1.0.0"),
    ]);
    for (const entry of entries) {
      const manifest = await client.getManifest("acme/merged", entry.digest);
      for (const layer of manifest?.json.layers ?? [])
        expect(await client.hasBlob("acme/merged", layer.digest)).toBe(true);
    }

    // Through the step went the two configs (to learn the platforms) and nothing else.
    const seen = front?.requests.slice(first) ?? [];
    expect(seen.filter((r) => /^(PUT|PATCH) .*\/blobs\/uploads\//.test(r))).toEqual([]);
    const configs = await Promise.all(
      entries.map(async (e) => (await client.getManifest("acme/merged", e.digest))?.json.config.digest),
    );
    expect(seen.filter((r) => /^GET .*\/blobs\//.test(r)).sort()).toEqual(
      [`GET /v2/acme/build-amd64/blobs/${configs[0]}`, `GET /v2/acme/build-arm64/blobs/${configs[1]}`].sort(),
    );
    expect(seen.filter((r) => r.startsWith("POST ") && r.endsWith("/blobs/uploads/"))).toHaveLength(4);
    expect(front?.scopes).toContain("repository:acme/build-amd64:pull");
    expect(front?.scopes).toContain("repository:acme/build-arm64:pull");
  });

  it("refuses two sources of one platform, naming both; an index source is flattened", async () => {
    const host = front?.host;
    const run = await merge(
      [`${host}/acme/build-amd64:1.0.0`, `${host}/acme/multi:1.0.0`],
      `${host}/acme/clash`,
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      `linux/amd64 in ${host}/acme/build-amd64:1.0.0 and ${host}/acme/multi:1.0.0`,
    );
    const flat = await merge([`${host}/acme/multi:1.0.0`], `${host}/acme/flat`);
    expect(flat.code, flat.output).toBe(0);
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_PLATFORMS).toBe("linux/amd64,linux/arm64");
  });
});
