import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import { type ImageInput, layerFromTar, pushIndex, type RegistryClient, tarEntries } from "@hangar/oci";
import { droneEnv } from "@hangar/testbed";
import { imagePublish } from "../src/plugin.ts";

export const runImagePublish = (env: Record<string, string>, workspace: string): Promise<CapturedRun> =>
  runCaptured(imagePublish, env, workspace);

/** A git clone with the given files, committed at `date`. */
export function gitWorkspace(files: Record<string, string | Buffer>, date = "2025-03-01T12:00:00Z"): string {
  const dir = mkdtempSync(join(tmpdir(), "image-publish-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  execFileSync("git", ["init", "-q", dir]);
  git(dir, ["config", "user.email", "ci@example.com"]);
  git(dir, ["config", "user.name", "ci"]);
  git(dir, ["add", "-A"]);
  commit(dir, "first", date);
  return dir;
}

export function git(dir: string, args: string[], date?: string): string {
  return execFileSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}) },
  }).trim();
}

export function commit(dir: string, message: string, date: string): string {
  git(dir, ["commit", "-q", "--allow-empty", "-m", message], date);
  return git(dir, ["rev-parse", "HEAD"]);
}

/** A Drone build of acme/app: a tag build when `tag` is given, else a push to main. */
export function buildEnv(
  dir: string,
  settings: Record<string, string>,
  tag?: string,
): Record<string, string> {
  return droneEnv(
    {
      repo: "acme/app",
      repoLink: "https://gitea.example.com/acme/app",
      event: tag ? "tag" : "push",
      branch: "main",
      sha: git(dir, ["rev-parse", "HEAD"]),
      ...(tag ? { tag } : {}),
    },
    Object.fromEntries(Object.entries(settings).map(([k, v]) => [`PLUGIN_${k.toUpperCase()}`, v])),
  );
}

/** One platform's small image: a layer with /etc/arch naming it, a config with its architecture, a CMD and an ENV. */
export function archImage(architecture: string): ImageInput {
  const layer = layerFromTar(tarEntries([{ path: "etc/arch", data: Buffer.from(`${architecture}\n`) }]));
  return {
    platform: { os: "linux", architecture },
    layers: [layer],
    config: {
      architecture,
      os: "linux",
      config: { Env: ["PATH=/usr/bin:/bin", "BASE=1"], Cmd: ["sh"], WorkingDir: "/" },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created: "2024-01-01T00:00:00Z", created_by: "base" }],
    },
  };
}

/** A small two-platform base (linux/amd64 and linux/arm64) as an OCI index. */
export async function pushTwoPlatformBase(client: RegistryClient, repository: string, tag: string) {
  await pushIndex(client, repository, tag, [archImage("amd64"), archImage("arm64")]);
}

/**
 * archImage("amd64") that can run: its only layer a rootfs of a static busybox as /bin/busybox,
 * with /bin/sh and /bin/cat linked to it.
 */
export function busyboxImage(busybox: string): ImageInput {
  const image = archImage("amd64");
  const layer = layerFromTar(
    tarEntries([
      { path: "bin/busybox", data: readFileSync(busybox), executable: true },
      { path: "bin/sh", link: "busybox" },
      { path: "bin/cat", link: "busybox" },
    ]),
  );
  return {
    ...image,
    layers: [layer],
    config: { ...image.config, rootfs: { type: "layers", diff_ids: [layer.diffId] } },
  };
}
