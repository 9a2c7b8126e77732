/**
 * images/publish.ts against the test bed's registry on loopback, behind a front that logs in the way
 * Gitea's registry does (Bearer token from /v2/token for Basic credentials). The base is the
 * two-platform stand-in (images/base/push-index.ts); git tags come from a real temporary repository.
 * Settings errors and the dry run need no registry.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Registry, RunError, requireServer, run, secretLeaks, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleablePlugins, ROOT } from "../../scripts/build.ts";
import { RegistryClient } from "../../shared/oci/src/registry.ts";
import { pushStandInBase } from "../base/push-index.ts";
import { startTokenRegistry, type TokenRegistry } from "./token-registry.ts";

const PUBLISH = join(ROOT, "images", "publish.ts");
const PASSWORD = "publish-Pa55word-never-printed";
const plugin = bundleablePlugins()[0] ?? "notify-email";

function publish(args: string[], env: Record<string, string>, cwd = ROOT) {
  const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  return run("node", [PUBLISH, ...args], { env: { ...clean, ...env }, cwd, timeoutMs: 300_000 });
}

describe("images/publish.ts settings", () => {
  it("lists every missing setting at once, before any request", async () => {
    const error = await publish([], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    const stderr = (error as RunError).stderr;
    for (const name of ["REGISTRY", "IMAGE_PREFIX", "DRONE_TAG", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"]) {
      expect(stderr).toContain(name);
    }
  });

  it("refuses a version that cannot be an image tag and an unknown HANGAR_LATEST", async () => {
    const error = await publish(["--dry-run"], {
      REGISTRY: "127.0.0.1:9",
      IMAGE_PREFIX: "acme/hangar",
      DRONE_TAG: "not a tag",
      HANGAR_LATEST: "sometimes",
    }).catch((e: unknown) => e);
    expect((error as RunError).stderr).toMatch(/neither a semantic version nor a valid image tag/);
    expect((error as RunError).stderr).toMatch(/HANGAR_LATEST: unknown strategy 'sometimes'/);
  });
});

const docker = await testbed.docker();
const registry: Registry | undefined = docker ? await testbed.registry() : undefined;
let front: TokenRegistry | undefined;
let gitDir = "";
const BASE = "base/node:24";
const REPO = `test/hangar/${plugin}`;

function git(...args: string[]) {
  return execFileSync("git", ["-C", gitDir, ...args], {
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_DATE: process.env.GIT_COMMITTER_DATE },
  }).trim();
}

/** A commit dated `date` tagged v<version>, annotated or not. */
function release(version: string, annotated: boolean, date: string) {
  process.env.GIT_COMMITTER_DATE = date;
  try {
    git("commit", "-q", "--allow-empty", "-m", `release ${version}`);
    if (annotated) git("tag", "-f", "-a", `v${version}`, "-m", `Release ${version}`);
    else git("tag", "-f", `v${version}`);
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
  }
}

async function publishTag(version: string, extra: Record<string, string> = {}, args: string[] = []) {
  const out = await publish(
    [...args, plugin],
    {
      REGISTRY: front?.host ?? "",
      IMAGE_PREFIX: "test/hangar",
      REGISTRY_USERNAME: "ci",
      REGISTRY_PASSWORD: PASSWORD,
      HANGAR_BASE_IMAGE: `${front?.host}/${BASE}`,
      DRONE_TAG: `v${version}`,
      ...extra,
    },
    gitDir,
  );
  const text = out.stdout + out.stderr;
  expect(secretLeaks(text, PASSWORD)).toEqual([]);
  return text;
}

const direct = () => new RegistryClient({ host: registry?.host ?? "" });
async function digests(): Promise<Record<string, string>> {
  const client = direct();
  const result: Record<string, string> = {};
  for (const tag of await client.listTags(REPO)) result[tag] = (await client.resolve(REPO, tag)) ?? "";
  return result;
}

describe.skipIf(!registry)("images/publish.ts against a registry on loopback", () => {
  beforeAll(async () => {
    const reg = registry as Registry;
    await requireServer("the two-platform stand-in base", () =>
      pushStandInBase(direct(), "base/node", "24", (l) => console.log(`[base] ${l}`)),
    );
    front = await startTokenRegistry(reg.url, "ci", PASSWORD);
    gitDir = mkdtempSync(join(tmpdir(), "publish-git-"));
    execFileSync("git", ["init", "-q", gitDir]);
    git("config", "user.email", "ci@example.com");
    git("config", "user.name", "ci");
  }, 1_800_000);
  afterAll(async () => {
    await front?.close();
    await registry?.stop();
    if (gitDir) rmSync(gitDir, { recursive: true, force: true });
  });

  it("pushes an index per tag with every platform of the base, one bundle layer for all", {
    timeout: 300_000,
  }, async () => {
    release("1.1.0", true, "2025-01-01T00:00:00Z");
    const text = await publishTag("1.1.0");
    expect(front?.seen.some((a) => a.startsWith("Bearer "))).toBe(true);
    const tags = await digests();
    expect(Object.keys(tags).sort()).toEqual(["1", "1.1", "1.1.0", "latest"]);
    expect(new Set(Object.values(tags)).size).toBe(1);
    const client = direct();
    const index = await client.getManifest(REPO, "1.1.0");
    expect(index?.json.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    const platforms = index?.json.manifests.map(
      (m: { platform: { architecture: string } }) => m.platform.architecture,
    );
    expect(platforms.sort()).toEqual(["amd64", "arm64"]);
    const lastLayers = new Set<string>();
    for (const entry of index?.json.manifests ?? []) {
      const manifest = await client.getManifest(REPO, entry.digest);
      const config = JSON.parse((await client.getBlob(REPO, manifest?.json.config.digest)).toString("utf8"));
      expect(config.architecture).toBe(entry.platform.architecture);
      expect(config.config.Entrypoint).toEqual(["node", "/opt/hangar/index.mjs"]);
      expect(config.config.User).toBe("1000:1000");
      expect(config.config.WorkingDir).toBeUndefined();
      expect(config.config.Labels["org.opencontainers.image.version"]).toBe("1.1.0");
      expect(config.rootfs.diff_ids).toHaveLength(manifest?.json.layers.length);
      lastLayers.add(manifest?.json.layers.at(-1).digest);
    }
    expect(lastLayers.size).toBe(1);
    expect(text).toMatch(/latest +push +new/);

    // The amd64 image, pulled back by the index's digest, runs the plugin.
    const ref = `${registry?.host}/${REPO}@${tags["1.1.0"]}`;
    try {
      await run("docker", ["pull", "-q", ref], { timeoutMs: 180_000 });
      const help = await run("docker", ["run", "--rm", "--network", "none", ref, "--help"], {
        timeoutMs: 60_000,
      });
      expect(help.stdout).toContain(plugin);
    } finally {
      await run("docker", ["image", "rm", "-f", ref]).catch(() => undefined);
    }
  });

  it("1.2.0 annotated moves latest; the backport 1.1.5 moves 1.1 only", { timeout: 300_000 }, async () => {
    release("1.2.0", true, "2025-02-01T00:00:00Z");
    await publishTag("1.2.0");
    const after120 = await digests();
    expect(after120.latest).toBe(after120["1.2.0"]);
    expect(after120["1"]).toBe(after120["1.2.0"]);
    expect(after120["1.1"]).toBe(after120["1.1.0"]);

    release("1.1.5", true, "2025-03-01T00:00:00Z");
    const text = await publishTag("1.1.5");
    const tags = await digests();
    expect(tags["1.1"]).toBe(tags["1.1.5"]);
    expect(tags["1"]).toBe(after120["1.2.0"]);
    expect(tags.latest).toBe(after120["1.2.0"]);
    expect(text).toMatch(/1\.1 +push +1\.1\.5 > 1\.1\.0/);
    expect(text).toMatch(/latest +keep +stays on 1\.2\.0/);
  });

  it("a pre-release gets only its own tag; a lightweight 1.3.0 moves no latest", {
    timeout: 300_000,
  }, async () => {
    const before = await digests();
    release("1.3.0-rc.1", true, "2025-04-01T00:00:00Z");
    await publishTag("1.3.0-rc.1");
    release("1.3.0", false, "2025-04-02T00:00:00Z");
    const text = await publishTag("1.3.0");
    const tags = await digests();
    expect(tags["1.3.0-rc.1"]).toBeDefined();
    expect(tags["1.3.0"]).toBeDefined();
    expect(tags.latest).toBe(before.latest);
    expect(tags["1"]).toBe(before["1"]);
    expect(tags["1.3"]).toBeUndefined();
    expect(text).toMatch(/lightweight git tag/);
  });

  it("HANGAR_LATEST=force moves latest back; skip keeps it; the dry run prints the plan and pushes nothing", {
    timeout: 300_000,
  }, async () => {
    const before = await digests();
    release("1.4.0", true, "2025-05-01T00:00:00Z");
    const dry = await publishTag("1.4.0", {}, ["--dry-run"]);
    expect(dry).toMatch(/latest +push +1\.4\.0 > 1\.2\.0/);
    expect(dry).toMatch(/dry run: nothing pushed/);
    expect(await digests()).toEqual(before);

    await publishTag("1.4.0", { HANGAR_LATEST: "skip" });
    expect((await digests()).latest).toBe(before.latest);

    release("1.1.6", true, "2025-06-01T00:00:00Z");
    await publishTag("1.1.6", { HANGAR_LATEST: "force" });
    const tags = await digests();
    expect(tags.latest).toBe(tags["1.1.6"]);
  });

  it("replaces a version tag only with a newer build of it", { timeout: 300_000 }, async () => {
    const before = await digests();
    release("1.2.0", true, "2025-01-15T00:00:00Z"); // an older commit than the published 1.2.0
    const older = await publishTag("1.2.0");
    expect(older).toMatch(/1\.2\.0 +keep +the registry has a build as new or newer/);
    expect((await digests())["1.2.0"]).toBe(before["1.2.0"]);

    release("1.2.0", true, "2025-07-01T00:00:00Z");
    await publishTag("1.2.0");
    const tags = await digests();
    expect(tags["1.2.0"]).not.toBe(before["1.2.0"]);
    expect(tags["1.2"]).toBe(tags["1.2.0"]);
  });

  it("refuses a wrong password with the token service's answer, never printing it", async () => {
    const error = await publishTag("1.5.0", { REGISTRY_PASSWORD: "wrong-Pa55" }).catch((e: unknown) => e);
    expect((error as RunError).stderr).toMatch(/token service .* refused as ci \(401\)/);
    expect(secretLeaks((error as RunError).stderr + (error as RunError).stdout, "wrong-Pa55")).toEqual([]);
  });
});
