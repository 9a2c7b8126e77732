/** Pushes images made whole elsewhere: one platform's image (config + layers), or an index of several. */
import { layerBody, type Platform } from "./append.ts";
import { sha256 } from "./layer.ts";
import { type AnyLayer, layerSize } from "./layer-file.ts";
import { MEDIA, type RegistryClient } from "./registry.ts";

export interface ImageInput {
  platform: Platform;
  /** The image config (architecture, os, config, rootfs with the layers' diff_ids, history). */
  config: Record<string, unknown>;
  layers: AnyLayer[];
}

export interface PushedImage {
  mediaType: string;
  digest: string;
  size: number;
  platform: Platform;
}

/** The blobs and the manifest of one platform's image, tagged `tag` when given (else by digest). */
export async function pushPlatformImage(
  client: RegistryClient,
  repository: string,
  image: ImageInput,
  tag?: string,
): Promise<PushedImage> {
  const config = Buffer.from(JSON.stringify(image.config));
  for (const layer of image.layers) await client.ensureBlob(repository, layer.digest, () => layerBody(layer));
  await client.ensureBlob(repository, sha256(config), () => config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: sha256(config), size: config.length },
      layers: image.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: layerSize(l) })),
    }),
  );
  const digest = await client.putManifest(repository, tag ?? sha256(manifest), manifest, MEDIA.ociManifest);
  return { mediaType: MEDIA.ociManifest, digest, size: manifest.length, platform: image.platform };
}

/** Every image, then an OCI index over them tagged `tag`; returns the index's digest. */
export async function pushIndex(
  client: RegistryClient,
  repository: string,
  tag: string,
  images: ImageInput[],
): Promise<string> {
  const manifests: PushedImage[] = [];
  for (const image of images) manifests.push(await pushPlatformImage(client, repository, image));
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
  return client.putManifest(repository, tag, index, MEDIA.ociIndex);
}
