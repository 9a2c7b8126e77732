/**
 * One index from images built elsewhere (as `docker buildx imagetools create` does): each source is
 * one platform's image or an index to flatten. Every source lives in the target's registry, so its
 * blobs are mounted into the target repository (the token asks the source repository's pull scope),
 * never copied through the step; the platform manifests are put unchanged, so their digests stay.
 */
import { blobFrom, type Platform, platformName } from "./append.ts";
import { sha256 } from "./layer.ts";
import { type Manifest, MEDIA, type RegistryClient, RegistryError } from "./registry.ts";

export interface MergeSource {
  /** As the user wrote it, for messages: `reg/app:1.2.3-amd64`. */
  name: string;
  repository: string;
  reference: string;
}

/** One platform's image found in a source. */
export interface SourceImage {
  source: MergeSource;
  platform: Platform;
  manifest: Manifest;
}

interface Descriptor {
  digest: string;
  platform?: Platform;
}

const INDEXES: string[] = [MEDIA.ociIndex, MEDIA.dockerList];

async function manifestOf(client: RegistryClient, source: MergeSource, reference: string) {
  const manifest = await client.getManifest(source.repository, reference);
  if (!manifest) throw new RegistryError(`the source ${source.name} does not exist`, 404);
  return manifest;
}

/**
 * The platform images of every source: an index's entries (build attestations, `unknown/unknown`,
 * left out), or a single manifest whose config names its platform.
 */
export async function readSources(client: RegistryClient, sources: MergeSource[]): Promise<SourceImage[]> {
  const images: SourceImage[] = [];
  for (const source of sources) {
    const top = await manifestOf(client, source, source.reference);
    if (INDEXES.includes(top.mediaType)) {
      for (const entry of top.json.manifests as Descriptor[]) {
        if (!entry.platform || entry.platform.os === "unknown") continue;
        images.push({
          source,
          platform: entry.platform,
          manifest: await manifestOf(client, source, entry.digest),
        });
      }
      continue;
    }
    const config = JSON.parse(
      (await client.getBlob(source.repository, top.json.config.digest)).toString("utf8"),
    );
    const platform: Platform = { os: config.os, architecture: config.architecture, variant: config.variant };
    images.push({ source, platform, manifest: top });
  }
  return images;
}

/** Platforms two sources offer, each with the sources that offer it. */
export function platformClashes(images: SourceImage[]): { platform: string; sources: string[] }[] {
  const by = new Map<string, string[]>();
  for (const image of images) {
    const name = platformName(image.platform);
    by.set(name, [...(by.get(name) ?? []), image.source.name]);
  }
  return [...by]
    .filter(([, names]) => names.length > 1)
    .map(([platform, sources]) => ({ platform, sources }));
}

export interface MergeResult {
  digest: string;
  bytes: Buffer;
  platforms: string[];
  /** How each blob got into the target: mounted, present, or uploaded (a registry that would not mount). */
  blobs: { mounted: number; present: number; uploaded: number };
}

/** Mounts every source image's blobs into `target`, puts the manifests there and an index over them (by digest). */
export async function mergeImages(
  client: RegistryClient,
  target: string,
  images: SourceImage[],
  log: (line: string) => void = () => {},
): Promise<MergeResult> {
  const blobs = { mounted: 0, present: 0, uploaded: 0 };
  const manifests = [];
  for (const { source, platform, manifest } of images) {
    const descriptors = [manifest.json.config, ...manifest.json.layers] as { digest: string; size: number }[];
    for (const { digest, size } of descriptors) {
      const how = await client.ensureBlob(
        target,
        digest,
        () => blobFrom(client, source.repository, digest, size),
        source.repository,
      );
      if (how === "uploaded")
        log(`${digest.slice(0, 19)} copied: the registry would not mount it from ${source.repository}`);
      blobs[how]++;
    }
    const digest = await client.putManifest(target, manifest.digest, manifest.bytes, manifest.mediaType);
    log(`${platformName(platform)} ${digest} from ${source.name}`);
    manifests.push({ mediaType: manifest.mediaType, digest, size: manifest.bytes.length, platform });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
  const digest = await client.putManifest(target, sha256(bytes), bytes, MEDIA.ociIndex);
  return { digest, bytes, platforms: images.map((i) => platformName(i.platform)), blobs };
}
