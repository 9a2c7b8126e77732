/**
 * shared/oci (@hangar/oci) without a registry: semver order, the tag policy's decisions, and the layer's
 * reproducibility (same bytes whatever the files' times and owners).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { platformWanted } from "../../shared/oci/src/append.ts";
import { folderLayer, layerFromTar, tarEntries } from "../../shared/oci/src/layer.ts";
import { parseImageName } from "../../shared/oci/src/reference.ts";
import { compareSemVer, parseSemVer } from "../../shared/oci/src/semver.ts";
import { planTags, type TagPolicyInput } from "../../shared/oci/src/tag-policy.ts";

const v = (s: string) => parseSemVer(s) ?? expect.fail(`${s} should parse`);

describe("semver", () => {
  it("orders releases, pre-releases and build metadata as semver.org says", () => {
    const order = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
    ];
    for (let i = 1; i < order.length; i++)
      expect(compareSemVer(v(order[i - 1] ?? ""), v(order[i] ?? ""))).toBe(-1);
    expect(compareSemVer(v("1.0.0-rc.1"), v("1.0.0"))).toBe(-1);
    expect(compareSemVer(v("1.10.0"), v("1.9.9"))).toBe(1);
    expect(compareSemVer(v("1.2.3+7"), v("1.2.3_8"))).toBe(0);
    expect(parseSemVer("1.2")).toBeUndefined();
    expect(parseSemVer("nightly")).toBeUndefined();
  });
});

describe("platforms", () => {
  it("takes arm64/v8 for arm64 and keeps arm/v7 apart from arm/v6", () => {
    const wanted = new Set(["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    expect(platformWanted({ os: "linux", architecture: "arm64", variant: "v8" }, wanted)).toBe(true);
    expect(platformWanted({ os: "linux", architecture: "arm", variant: "v7" }, wanted)).toBe(true);
    expect(platformWanted({ os: "linux", architecture: "arm", variant: "v6" }, wanted)).toBe(false);
    expect(platformWanted({ os: "unknown", architecture: "unknown" }, wanted)).toBe(false);
  });
});

describe("image references", () => {
  it("reads Docker Hub short names, hosts with ports and digests", () => {
    expect(parseImageName("node:24")).toEqual({
      host: "docker.io",
      repository: "library/node",
      reference: "24",
    });
    expect(parseImageName("127.0.0.1:5000/base/node@sha256:ab")).toEqual({
      host: "127.0.0.1:5000",
      repository: "base/node",
      reference: "sha256:ab",
    });
    expect(parseImageName("acme/app")).toEqual({
      host: "docker.io",
      repository: "acme/app",
      reference: "latest",
    });
  });
});

function plan(version: string, tags: Record<string, string>, extra: Partial<TagPolicyInput> = {}) {
  const decisions = planTags({
    version,
    annotated: true,
    strategy: "auto",
    build: { revision: "new", created: "2025-02-01T00:00:00Z" },
    tags: new Map(Object.entries(tags)),
    ...extra,
  });
  return Object.fromEntries(decisions.map((d) => [d.tag, d.move]));
}

describe("tag policy", () => {
  const registry = {
    "1.1.0": "d110",
    "1.2.0": "d120",
    "1.1": "d110",
    "1.2": "d120",
    "1": "d120",
    latest: "d120",
  };

  it("a backport moves its own line only", () => {
    expect(plan("1.1.5", registry)).toEqual({ "1.1.5": true, "1.1": true, "1": false, latest: false });
  });

  it("a newer annotated release moves everything; 0.x has no bare major tag", () => {
    expect(plan("1.3.0", registry)).toEqual({ "1.3.0": true, "1.3": true, "1": true, latest: true });
    expect(plan("0.4.0", {})).toEqual({ "0.4.0": true, "0.4": true, latest: true });
  });

  it("pre-releases and lightweight tags move no alias; force and skip override", () => {
    expect(plan("1.3.0-rc.1", registry)).toEqual({ "1.3.0-rc.1": true, latest: false });
    expect(plan("1.3.0", registry, { annotated: false })).toEqual({
      "1.3.0": true,
      "1.3": false,
      "1": false,
      latest: false,
    });
    expect(plan("1.1.5", registry, { strategy: "force" })).toEqual({
      "1.1.5": true,
      "1.1": true,
      "1": true,
      latest: true,
    });
    expect(plan("1.3.0", registry, { strategy: "skip" })).toEqual({
      "1.3.0": true,
      "1.3": false,
      "1": false,
      latest: false,
    });
  });

  it("a version with build metadata gets its own tag only, on its first run, its re-run and with force", () => {
    const released = { ...registry, "2.0.0": "d200", "2.0": "d200", "2": "d200", latest: "d200" };
    const hotfix = { revision: "old-commit", created: "2024-06-01T00:00:00Z" };
    const ownOnly = { "2.0.0_hotfix": true, "2.0": false, "2": false, latest: false };
    expect(plan("2.0.0+hotfix", released, { build: hotfix })).toEqual(ownOnly);
    // The re-run of the tag build finds its own tag there, pushed by the same revision.
    const rerun = { ...released, "2.0.0_hotfix": "dhotfix" };
    expect(plan("2.0.0+hotfix", rerun, { build: hotfix, existing: hotfix })).toEqual(ownOnly);
    expect(plan("2.0.0+hotfix", rerun, { build: hotfix, existing: hotfix, strategy: "force" })).toEqual(
      ownOnly,
    );
    expect(plan("2.1.0+build.7", released)).toEqual({
      "2.1.0_build.7": true,
      "2.1": false,
      "2": false,
      latest: false,
    });
    const [, minor] = planTags({
      version: "2.0.0+hotfix",
      annotated: true,
      strategy: "auto",
      build: hotfix,
      tags: new Map(Object.entries(rerun)),
      existing: hotfix,
    });
    expect(minor?.reason).toBe("build metadata (+hotfix) moves no alias, even with force");
  });

  it("an alias pointing at no version tag of its line stays unless forced", () => {
    expect(plan("1.3.0", { ...registry, latest: "orphan" }).latest).toBe(false);
  });

  it("replaces an existing version tag only with a newer build, and the aliases follow it", () => {
    const older = { revision: "old", created: "2025-01-01T00:00:00Z" };
    const newer = { revision: "newer", created: "2025-03-01T00:00:00Z" };
    expect(plan("1.2.0", registry, { existing: older })).toEqual({
      "1.2.0": true,
      "1.2": true,
      "1": true,
      latest: true,
    });
    expect(plan("1.2.0", registry, { existing: newer })).toEqual({
      "1.2.0": false,
      "1.2": false,
      "1": false,
      latest: false,
    });
    const decisions = planTags({
      version: "1.2.0",
      annotated: true,
      strategy: "auto",
      build: { revision: "new", created: "2025-02-01T00:00:00Z" },
      tags: new Map(Object.entries(registry)),
      existing: newer,
    });
    expect(decisions[0]?.reason).toMatch(/registry has a build as new or newer: newer/);
  });
});

describe("layer", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function bundle(mtime: number): string {
    const dir = mkdtempSync(join(tmpdir(), "oci-layer-"));
    dirs.push(dir);
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "index.mjs"), "console.log('hi')\n");
    writeFileSync(join(dir, "index.mjs.map"), "{}");
    writeFileSync(join(dir, "sub", "tool"), "#!/bin/sh\n");
    chmodSync(join(dir, "sub", "tool"), 0o700);
    chmodSync(join(dir, "index.mjs.map"), 0o600);
    for (const f of ["index.mjs", "index.mjs.map", "sub/tool", "sub"]) utimesSync(join(dir, f), mtime, mtime);
    return dir;
  }

  it("has the same digest for the same files whatever their times, and lists them sorted, root-owned", () => {
    const a = folderLayer(bundle(1_000_000), "opt/app", 0);
    const b = folderLayer(bundle(2_000_000), "opt/app", 0);
    expect(a.digest).toBe(b.digest);
    expect(a.diffId).not.toBe(a.digest);
    const file = join(dirs[0] ?? "", "layer.tar.gz");
    writeFileSync(file, a.bytes);
    const listing = execFileSync("tar", ["-tvzf", file, "--numeric-owner"], {
      encoding: "utf8",
      env: { ...process.env, TZ: "UTC" },
    });
    expect(listing.trim().split("\n")).toEqual([
      expect.stringMatching(/^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 opt\/$/),
      expect.stringMatching(/^drwxr-xr-x 0\/0 +0 .* opt\/app\/$/),
      expect.stringMatching(/^-rw-r--r-- 0\/0 +18 .* opt\/app\/index\.mjs$/),
      expect.stringMatching(/^-rw-r--r-- 0\/0 +2 .* opt\/app\/index\.mjs\.map$/),
      expect.stringMatching(/^drwxr-xr-x 0\/0 +0 .* opt\/app\/sub\/$/),
      expect.stringMatching(/^-rwxr-xr-x 0\/0 +10 .* opt\/app\/sub\/tool$/),
    ]);
  });

  it("gives an entry the mode it asks for (a folder every user may write to, sticky as /tmp)", () => {
    const layer = layerFromTar(
      tarEntries([{ path: "opt/hangar/appium", mode: 0o1777 }, { path: "opt/hangar/node_modules" }]),
    );
    const file = join(dirs[0] ?? "", "modes.tar.gz");
    writeFileSync(file, layer.bytes);
    const listing = execFileSync("tar", ["-tvzf", file, "--numeric-owner"], { encoding: "utf8" });
    expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* opt\/hangar\/appium\/$/m);
    expect(listing).toMatch(/^drwxr-xr-x 0\/0 .* opt\/hangar\/node_modules\/$/m);
  });
});
