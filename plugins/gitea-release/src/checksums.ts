import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { CHECKSUMS } from "./settings.ts";

export type Algorithm = (typeof CHECKSUMS)[number];

export interface ChecksumInput {
  /** The name the file has in the release (the checksum lines name it so). */
  name: string;
  absolute: string;
}

/** Every algorithm's hex digest of a file, from one streamed read (no file is held in memory). */
export async function digestFile(
  file: string,
  algorithms: readonly Algorithm[],
): Promise<Record<Algorithm, string>> {
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  await pipeline(createReadStream(file), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) for (const [, hash] of hashes) hash.update(chunk);
  });
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
