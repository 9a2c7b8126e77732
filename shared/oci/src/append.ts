/**
 * Appends layers to every platform of a base image, through the registry API alone (as
 * `crane append`, ko and jib do): nothing runs on the target architecture, so no emulation and no
 * daemon. For each platform the base offers (filtered by `platforms`): the base's layers are mounted
 * (same registry) or copied (another one) into the target repository, each layer is uploaded once,
 * and a manifest = base layers + the layers, with a config = base config + entrypoint, user, env, labels
 * and the layers' diff_ids, is pushed by digest. Then one OCI image index lists them all; tags are the
 * caller's business (`tagIndex`).
 */
import { open } from "node:fs/promises";
import { sha256 } from "./layer.ts";
import { type AnyLayer, layerSize } from "./layer-file.ts";
import {
  type BlobBody,
  type BlobProgress,
  type Manifest,
  MEDIA,
  type RegistryClient,
  RegistryError,
} from "./registry.ts";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

/** The platforms Node.js publishes Linux binaries for that small CI machines use. */
export const NODE_PLATFORMS: readonly string[] = ["linux/amd64", "linux/arm64", "linux/arm/v7"];

export function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Whether `p` is one of `names`; arm64's only variant, v8, may be left out either side (as containerd does). */
export function platformWanted(p: Platform, names: ReadonlySet<string>): boolean {
  const name = platformName(p);
  if (names.has(name)) return true;
  if (p.architecture !== "arm64") return false;
  return names.has(`${p.os}/arm64`)
    ? !p.variant || p.variant === "v8"
    : names.has(`${p.os}/arm64/v8`) && !p.variant;
}

export interface ImageRef {
  repository: string;
  /** Tag or digest. */
  reference: string;
}

export interface ConfigChanges {
  entrypoint?: string[];
  /** Environment variables set (or replaced) over the base's. */
  env?: Record<string, string>;
  /** Replaces the base's CMD; default: none (an ENTRYPOINT ignores the base's CMD, as docker build does). */
  cmd?: string[] | undefined;
  user?: string;
  /** Unset (undefined) leaves no working directory: the runner sets one. */
  workingDir?: string | undefined;
  labels?: Record<string, string>;
  /** Time of the new image (config.created and its history entries), ISO 8601. */
  created: string;
}

export interface NewLayer {
  layer: AnyLayer;
  /** The history entry's created_by, e.g. "COPY dist /opt/app". */
  createdBy: string;
}

export interface AppendOptions {
  base: ImageRef;
  /** The repository to push into, on the same client's registry. */
  target: string;
  /** Appended in this order, the last on top (e.g. a runtime that rarely changes, then the app). */
  layers: NewLayer[];
  changes: ConfigChanges;
  /** Platform names to keep ("linux/amd64"), or "all" the base offers; default NODE_PLATFORMS. */
  platforms?: readonly string[] | "all";
  /** Annotations of the index and of each manifest (the base's name and digest are added). */
  annotations?: Record<string, string>;
  /** The base lives on another registry: read it with this client (its blobs are copied). */
  baseClient?: RegistryClient;
  log?: (line: string) => void;
  /** Counts the bytes of each blob uploaded (the layers, and the base's copied from another registry). */
  progress?: BlobProgress;
}

export interface PlatformImage {
  platform: Platform;
  digest: string;
  size: number;
  config: string;
  layers: string[];
}

export interface AppendResult {
  digest: string;
  bytes: Buffer;
  baseDigest: string;
  images: PlatformImage[];
  /** Blobs this push uploaded (0 when the registry had them all: the same build again). */
  uploaded: { blobs: number; bytes: number };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

const INDEXES: string[] = [MEDIA.ociIndex, MEDIA.dockerList];

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The base's platform manifests: the entries of an index, or the single manifest (its config says which). */
async function basePlatforms(client: RegistryClient, base: ImageRef, index: Manifest) {
  if (INDEXES.includes(index.mediaType)) {
    return (index.json.manifests as Descriptor[]).filter((d) => d.platform);
  }
  const config = JSON.parse(
    (await client.getBlob(base.repository, index.json.config.digest)).toString("utf8"),
  );
  const platform: Platform = { os: config.os, architecture: config.architecture, variant: config.variant };
  return [{ mediaType: index.mediaType, digest: index.digest, size: index.bytes.length, platform }];
}

function newConfig(base: Record<string, unknown>, layers: NewLayer[], changes: ConfigChanges) {
  // biome-ignore lint/suspicious/noExplicitAny: the image config is a plain JSON document
  const config: any = structuredClone(base);
  const c = { ...(config.config ?? {}) };
  if (changes.entrypoint) c.Entrypoint = changes.entrypoint;
  if (changes.cmd) c.Cmd = changes.cmd;
  else if (changes.entrypoint) delete c.Cmd;
  if (changes.user !== undefined) c.User = changes.user;
  if (changes.env) {
    const names = new Set(Object.keys(changes.env));
    c.Env = [
      ...((c.Env ?? []) as string[]).filter((e) => !names.has(e.split("=")[0] ?? "")),
      ...Object.entries(changes.env).map(([name, value]) => `${name}=${value}`),
    ];
  }
  if (changes.workingDir) c.WorkingDir = changes.workingDir;
  else delete c.WorkingDir;
  c.Labels = { ...(c.Labels ?? {}), ...(changes.labels ?? {}) };
  config.config = c;
  config.created = changes.created;
  config.rootfs = {
    type: "layers",
    diff_ids: [...(config.rootfs?.diff_ids ?? []), ...layers.map((l) => l.layer.diffId)],
  };
  config.history = [
    ...(config.history ?? []),
    ...layers.map((l) => ({ created: changes.created, created_by: l.createdBy })),
  ];
  return config;
}

/** A blob of another repository (or registry) streamed through, never whole in memory. */
export function blobFrom(client: RegistryClient, repository: string, digest: string, size: number): BlobBody {
  return { size, open: () => client.openBlob(repository, digest) };
}

const READ_CHUNK = 256 * 1024;

/**
 * A file as a stream read only when the consumer pulls: memory stays at one chunk however slow the
 * registry takes it (Readable.toWeb reads ahead of a slow consumer).
 */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        handle ??= await open(path, "r");
        const chunk = Buffer.allocUnsafe(READ_CHUNK);
        const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
        if (bytesRead === 0) {
          await handle.close();
          controller.close();
          return;
        }
        controller.enqueue(chunk.subarray(0, bytesRead));
      },
      cancel: () => handle?.close(),
    },
    { highWaterMark: 0 },
  );
}

/** A layer's blob: its bytes, or its file streamed. */
export function layerBody(layer: AnyLayer): Buffer | BlobBody {
  if ("bytes" in layer) return layer.bytes;
  return {
    size: layer.size,
    open: () => fileStream(layer.file),
  };
}

/** Pushes one manifest per platform and an index over them (by digest, no tag). */
export async function appendLayer(client: RegistryClient, options: AppendOptions): Promise<AppendResult> {
  const { base, target, layers: added } = options;
  const log = options.log ?? (() => {});
  const source = options.baseClient ?? client;
  const sameRegistry = source === client || source.baseUrl === client.baseUrl;
  const baseIndex = await source.getManifest(base.repository, base.reference);
  if (!baseIndex)
    throw new RegistryError(`the base ${base.repository}:${base.reference} does not exist`, 404);
  const all = options.platforms === "all";
  const wanted = new Set(all ? [] : (options.platforms ?? NODE_PLATFORMS));
  // "unknown/unknown" entries are build attestations (buildx), not images.
  const entries = (await basePlatforms(source, base, baseIndex)).filter((d) =>
    all ? (d.platform as Platform).os !== "unknown" : platformWanted(d.platform as Platform, wanted),
  );
  if (entries.length === 0) {
    throw new RegistryError(
      `the base ${base.repository}:${base.reference} offers ${all ? "no platform" : `none of ${[...wanted].join(", ")}`}`,
    );
  }
  const annotations = {
    ...options.annotations,
    "org.opencontainers.image.base.name": `${base.repository}:${base.reference}`,
    "org.opencontainers.image.base.digest": baseIndex.digest,
  };
  const uploaded = { blobs: 0, bytes: 0 };
  const counted: BlobProgress = (digest, size) => {
    uploaded.blobs++;
    uploaded.bytes += size;
    return options.progress?.(digest, size) ?? { add: () => {}, done: () => undefined };
  };
  const copy = async ({ digest, size }: Descriptor) => {
    const how = await client.ensureBlob(
      target,
      digest,
      () => blobFrom(source, base.repository, digest, size),
      sameRegistry ? base.repository : undefined,
      counted,
    );
    if (how !== "present") log(`${digest.slice(0, 19)} ${how}`);
  };
  for (const { layer } of added) {
    const how = await client.ensureBlob(target, layer.digest, () => layerBody(layer), undefined, counted);
    log(`layer ${layer.digest.slice(0, 19)} ${how} (${layerSize(layer)} bytes)`);
  }

  const images: PlatformImage[] = [];
  const descriptors: Descriptor[] = [];
  for (const entry of entries) {
    const platform = entry.platform as Platform;
    const manifest = await source.getManifest(base.repository, entry.digest);
    if (!manifest)
      throw new RegistryError(`the base's ${platformName(platform)} manifest ${entry.digest} is missing`);
    const baseConfig = JSON.parse(
      (await source.getBlob(base.repository, manifest.json.config.digest)).toString("utf8"),
    );
    const config = jsonBytes(newConfig(baseConfig, added, options.changes));
    const configDigest = sha256(config);
    for (const l of manifest.json.layers as Descriptor[]) await copy(l);
    await client.ensureBlob(target, configDigest, () => config, undefined, counted);
    const layers: Descriptor[] = [
      ...(manifest.json.layers as Descriptor[]).map(({ mediaType, digest, size }) => ({
        mediaType,
        digest,
        size,
      })),
      ...added.map(({ layer }) => ({
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layerSize(layer),
      })),
    ];
    const body = jsonBytes({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers,
      annotations,
    });
    const digest = await client.putManifest(target, sha256(body), body, MEDIA.ociManifest);
    log(`${platformName(platform)} ${digest}`);
    images.push({
      platform,
      digest,
      size: body.length,
      config: configDigest,
      layers: layers.map((l) => l.digest),
    });
    descriptors.push({ mediaType: MEDIA.ociManifest, digest, size: body.length, platform });
  }
  const bytes = jsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: descriptors,
    annotations,
  });
  const digest = await client.putManifest(target, sha256(bytes), bytes, MEDIA.ociIndex);
  return { digest, bytes, baseDigest: baseIndex.digest, images, uploaded };
}

/** Points `tag` at an index pushed by appendLayer. */
export async function tagIndex(client: RegistryClient, repository: string, tag: string, index: Buffer) {
  return client.putManifest(repository, tag, index, MEDIA.ociIndex);
}
