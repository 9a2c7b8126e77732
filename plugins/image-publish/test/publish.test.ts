/**
 * image-publish against the test bed's registry on loopback, behind a front that logs in the way
 * Gitea's registry does (Bearer token from /v2/token for Basic credentials). The base is a small
 * two-platform index pushed by the test; git tags come from a real temporary clone.
 */
import { rmSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { RegistryClient } from "@hangar/oci";
import { type Registry, readStepOutputs, secretLeaks, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTokenRegistry, type TokenRegistry } from "../../../images/test/token-registry.ts";
import { buildEnv, commit, git, gitWorkspace, pushTwoPlatformBase, runImagePublish } from "./helpers.ts";

const PASSWORD = "image-Pa55word-never-printed";
const registry: Registry | undefined = await testbed.registry();
let front: TokenRegistry | undefined;
const dirs: string[] = [];

const direct = () => new RegistryClient({ host: registry?.host ?? "" });

function settings(repository: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    repo: `${front?.host}/${repository}`,
    username: "ci",
    password: PASSWORD,
    base: `${front?.host}/base/node:24`,
    ...extra,
  };
}

async function tags(repository: string): Promise<Record<string, string>> {
  const client = direct();
  const result: Record<string, string> = {};
  for (const tag of await client.listTags(repository))
    result[tag] = (await client.resolve(repository, tag)) ?? "";
  return result;
}

/** The entries of a gzip'd tar: name, mtime, uid, type. */
function tarList(gz: Buffer) {
  const tar = gunzipSync(gz);
  const out: { name: string; mtime: number; uid: number; type: string; link: string }[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const str = (from: number, len: number) => h.toString("utf8", from, from + len).replace(/\0.*$/s, "");
    const prefix = str(345, 155);
    const size = Number.parseInt(str(124, 12), 8);
    out.push({
      name: prefix ? `${prefix}/${str(0, 100)}` : str(0, 100),
      mtime: Number.parseInt(str(136, 12), 8),
      uid: Number.parseInt(str(108, 8), 8),
      type: str(156, 1),
      link: str(157, 100),
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe.skipIf(!registry)("image-publish against a registry on loopback", () => {
  beforeAll(async () => {
    const reg = registry as Registry;
    await pushTwoPlatformBase(direct(), "base/node", "24");
    front = await startTokenRegistry(reg.url, "ci", PASSWORD);
  });
  afterAll(async () => {
    await front?.close();
    await registry?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("appends one layer to both platforms of the base, reproducibly: the same commit again uploads nothing", async () => {
    const dir = gitWorkspace({
      "package.json": '{"name":"app"}',
      "server.js": "console.log('hi')",
      "node_modules/express/index.js": "module.exports = {}",
      "node_modules/.cache/junk": "x",
      "debug.log": "noise",
      "keep.log": "kept",
      ".dockerignore": "# build leftovers\n*.log\n!keep.log\nnode_modules/.cache\n",
    });
    dirs.push(dir);
    git(dir, ["tag", "-a", "v1.2.0", "-m", "Release 1.2.0"]);
    const epoch = Number(git(dir, ["show", "-s", "--format=%ct", "HEAD"]));
    const env = buildEnv(
      dir,
      settings("acme/app", {
        entrypoint: "node,server.js",
        env: '{"NODE_ENV":"production"}',
        user: "1000:1000",
        labels: '{"team":"web"}',
      }),
      "v1.2.0",
    );
    const first = await runImagePublish(env, dir);
    expect(first.code, first.output).toBe(0);
    expect(secretLeaks(first.output, PASSWORD)).toEqual([]);
    expect(front?.seen.some((a) => a.startsWith("Bearer "))).toBe(true);

    const outputs = await readStepOutputs(dir);
    const digest = outputs.IMAGE_PUBLISH_DIGEST as string;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.IMAGE_PUBLISH_REFS).toBe(`${front?.host}/acme/app@${digest}`);
    expect(outputs.IMAGE_PUBLISH_TAGS).toBe("1.2.0,1.2,1,latest");
    expect(outputs.IMAGE_PUBLISH_PLATFORMS).toBe("linux/amd64,linux/arm64");
    expect(await tags("acme/app")).toEqual({ "1.2.0": digest, "1.2": digest, "1": digest, latest: digest });

    const client = direct();
    const index = await client.getManifest("acme/app", digest);
    expect(index?.json.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    const appLayers = new Set<string>();
    for (const entry of index?.json.manifests ?? []) {
      const manifest = await client.getManifest("acme/app", entry.digest);
      const layers = manifest?.json.layers as { digest: string }[];
      expect(layers).toHaveLength(2);
      appLayers.add(layers[1]?.digest ?? "");
      const config = JSON.parse((await client.getBlob("acme/app", manifest?.json.config.digest)).toString());
      expect(config.architecture).toBe(entry.platform.architecture);
      expect(config.config).toMatchObject({
        Entrypoint: ["node", "server.js"],
        WorkingDir: "/app",
        User: "1000:1000",
        Env: ["PATH=/usr/bin:/bin", "BASE=1", "NODE_ENV=production"],
      });
      expect(config.config.Cmd).toBeUndefined();
      expect(config.config.Labels).toEqual({
        team: "web",
        "org.opencontainers.image.source": "https://gitea.example.com/acme/app",
        "org.opencontainers.image.revision": git(dir, ["rev-parse", "HEAD"]),
        "org.opencontainers.image.created": new Date(epoch * 1000).toISOString(),
        "org.opencontainers.image.version": "1.2.0",
      });
    }
    expect(appLayers.size).toBe(1);
    const entries = tarList(await client.getBlob("acme/app", [...appLayers][0] as string));
    expect(entries.map((e) => e.name)).toEqual([
      "app/",
      "app/.dockerignore",
      "app/keep.log",
      "app/node_modules/",
      "app/node_modules/express/",
      "app/node_modules/express/index.js",
      "app/package.json",
      "app/server.js",
    ]);
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([epoch]));
    expect(new Set(entries.map((e) => e.uid))).toEqual(new Set([1000]));

    const second = await runImagePublish(env, dir);
    expect(second.code, second.output).toBe(0);
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_DIGEST).toBe(digest);
    expect(second.output).toContain("uploaded nothing (the registry had every blob)");
  });

  it("moves latest, X.Y and X only forward, for annotated release tags", async () => {
    const dir = gitWorkspace({ "index.html": "<h1>site</h1>" }, "2025-01-01T00:00:00Z");
    dirs.push(dir);
    const release = async (
      version: string,
      annotated: boolean,
      date: string,
      extra: Record<string, string> = {},
    ) => {
      commit(dir, `release ${version}`, date);
      git(dir, annotated ? ["tag", "-a", `v${version}`, "-m", version] : ["tag", `v${version}`], date);
      const run = await runImagePublish(buildEnv(dir, settings("acme/site", extra), `v${version}`), dir);
      expect(run.code, run.output).toBe(0);
      return { run, digest: (await readStepOutputs(dir)).IMAGE_PUBLISH_DIGEST as string };
    };
    const r120 = await release("1.2.0", true, "2025-02-01T00:00:00Z");
    const r115 = await release("1.1.5", true, "2025-02-02T00:00:00Z");
    expect(r115.run.output).toMatch(/tag 1\.1 +push +new/);
    expect(r115.run.output).toMatch(/tag latest +keep +stays on 1\.2\.0/);
    expect(await tags("acme/site")).toMatchObject({
      "1.1": r115.digest,
      "1": r120.digest,
      latest: r120.digest,
    });

    const rc = await release("1.3.0-rc.1", true, "2025-02-03T00:00:00Z");
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_TAGS).toBe("1.3.0-rc.1");
    expect((await tags("acme/site")).latest).toBe(r120.digest);
    expect(rc.digest).not.toBe(r120.digest);

    const light = await release("1.3.0", false, "2025-02-04T00:00:00Z");
    expect(light.run.output).toMatch(/lightweight git tag: only annotated tags move it/);
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_TAGS).toBe("1.3.0");

    const forced = await release("1.1.6", true, "2025-02-05T00:00:00Z", { latest: "force" });
    expect((await tags("acme/site")).latest).toBe(forced.digest);

    await release("1.4.0", true, "2025-02-06T00:00:00Z", { latest: "skip" });
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_TAGS).toBe("1.4.0");
    expect((await tags("acme/site")).latest).toBe(forced.digest);
  });

  it("tags a push by branch and commit", async () => {
    const dir = gitWorkspace({ "a.txt": "a" });
    dirs.push(dir);
    const env = {
      ...buildEnv(dir, settings("acme/push")),
      DRONE_BRANCH: "feature/Login",
      DRONE_COMMIT_BRANCH: "feature/Login",
    };
    const run = await runImagePublish(env, dir);
    expect(run.code, run.output).toBe(0);
    const sha = git(dir, ["rev-parse", "HEAD"]).slice(0, 7);
    expect(Object.keys(await tags("acme/push")).sort()).toEqual(["feature-login", `sha-${sha}`]);
  });

  it("names the registry and the user when the password is wrong, never the password", async () => {
    const dir = gitWorkspace({ "a.txt": "a" });
    dirs.push(dir);
    const wrong = "wrong-Pa55word-secret";
    const run = await runImagePublish(buildEnv(dir, settings("acme/wrong", { password: wrong })), dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(`${front?.host} refused`);
    expect(run.output).toContain("as ci");
    expect(secretLeaks(run.output, wrong)).toEqual([]);
  });
});
