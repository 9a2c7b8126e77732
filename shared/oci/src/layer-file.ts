/**
 * A layer of any size with bounded memory: the tar is written in chunks (files read as they are
 * written), hashed (diff_id), gzip'd, hashed again (digest) and written to a file, in one pass. The
 * upload then streams that file. Same bytes as `layerFromTar` for the same entries: gzip level 9,
 * no name or time in the header, and deflate's output does not depend on how its input is cut.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { type Layer, type LayerEntry, type LayerOwner, tarChunks } from "./layer.ts";

/** A layer whose gzip'd tar is a file, not bytes in memory. */
export interface FileLayer extends Omit<Layer, "bytes"> {
  /** The gzip'd tar on disk. */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Deletes the file (and its folder). */
  remove(): void;
}

export type AnyLayer = Layer | FileLayer;

/** The size of a layer's blob, in memory or on disk. */
export function layerSize(layer: AnyLayer): number {
  return "bytes" in layer ? layer.bytes.length : layer.size;
}

/** Passes chunks on, counting and hashing them. */
function hashing() {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, size: () => size, digest: () => `sha256:${hash.digest("hex")}` };
}

/** Writes the layer of `entries` (see tarChunks) to a file in a fresh folder under `dir` (default: the temp folder). */
export async function writeLayerFile(
  entries: LayerEntry[],
  mtime = 0,
  owner?: LayerOwner,
  dir = tmpdir(),
): Promise<FileLayer> {
  const folder = mkdtempSync(join(dir, "oci-layer-"));
  const file = join(folder, "layer.tar.gz");
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const tar = hashing();
  const gz = hashing();
  try {
    await pipeline(
      Readable.from(tarChunks(entries, mtime, owner), { objectMode: false }),
      tar.stream,
      createGzip({ level: constants.Z_BEST_COMPRESSION }),
      gz.stream,
      createWriteStream(file),
    );
  } catch (error) {
    remove();
    throw error;
  }
  return {
    file,
    size: gz.size(),
    digest: gz.digest(),
    diffId: tar.digest(),
    uncompressedSize: tar.size(),
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    remove,
  };
}
