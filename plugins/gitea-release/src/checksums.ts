import { createHash } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CHECKSUMS } from "./settings.ts";

export type Algorithm = (typeof CHECKSUMS)[number];

export interface ChecksumInput {
  /** The name the file has in the release (the checksum lines name it so). */
  name: string;
  absolute: string;
}

/**
 * Every algorithm's hex digest of a file, from one read through one reused buffer: memory stays
 * flat whatever the file's size (a stream's fresh buffer per chunk piles up garbage instead).
 */
export async function digestFile(
  file: string,
  algorithms: readonly Algorithm[],
): Promise<Record<Algorithm, string>> {
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  const buffer = Buffer.allocUnsafe(256 * 1024);
  const handle = await open(file);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      for (const [, hash] of hashes) hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest("hex")])) as Record<
    Algorithm,
    string
  >;
}

/** The name of one algorithm's checksum asset: `checksums.txt`, or `{{ algorithm }}` filled in. */
export function checksumFileName(template: string, algorithm: Algorithm): string {
  return template.replace(/\{\{\s*algorithm\s*\}\}/g, algorithm);
}

/**
 * Writes one file per algorithm in the `sha256sum` format (`<hex>  <name>`), which
 * `sha256sum -c` checks after downloading. Returns the written files, to be attached.
 */
export async function writeChecksumFiles(
  files: readonly ChecksumInput[],
  outputs: readonly { algorithm: Algorithm; name: string }[],
  directory: string,
): Promise<{ name: string; absolute: string }[]> {
  const algorithms = outputs.map((output) => output.algorithm);
  const digests: Record<Algorithm, string>[] = [];
  for (const file of files) digests.push(await digestFile(file.absolute, algorithms));
  const written: { name: string; absolute: string }[] = [];
  for (const { algorithm, name } of outputs) {
    const absolute = path.join(directory, name);
    await writeFile(
      absolute,
      files.map((file, index) => `${digests[index]?.[algorithm]}  ${file.name}\n`).join(""),
    );
    written.push({ name, absolute });
  }
  return written;
}
