import { createHash } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { Adler32 } from "./adler32.ts";
import type { CHECKSUMS } from "./settings.ts";

export type Algorithm = (typeof CHECKSUMS)[number];

export interface ChecksumInput {
  /** The name the file has in the release (the checksum lines name it so). */
  name: string;
  absolute: string;
}

interface Digest {
  update(bytes: Uint8Array): void;
  /** The checksum as drone-gitea-release writes it: hex for hashes, decimal for adler32 and crc32. */
  result(): string;
}

function digestFor(algorithm: Algorithm): Digest {
  switch (algorithm) {
    case "adler32": {
      const adler = new Adler32();
      return { update: (bytes) => adler.update(bytes), result: () => String(adler.value()) };
    }
    case "crc32": {
      let value = 0;
      return {
        update: (bytes) => {
          value = crc32(bytes, value);
        },
        result: () => String(value),
      };
    }
    default: {
      const hash = createHash(algorithm);
      return { update: (bytes) => hash.update(bytes), result: () => hash.digest("hex") };
    }
  }
}

/**
 * Every algorithm's checksum of a file, from one read through one reused buffer: memory stays
 * flat whatever the file's size (a stream's fresh buffer per chunk piles up garbage instead).
 */
export async function digestFile(
  file: string,
  algorithms: readonly Algorithm[],
): Promise<Record<Algorithm, string>> {
  const digests = algorithms.map((algorithm) => [algorithm, digestFor(algorithm)] as const);
  const buffer = Buffer.allocUnsafe(256 * 1024);
  const handle = await open(file);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      for (const [, digest] of digests) digest.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return Object.fromEntries(digests.map(([algorithm, digest]) => [algorithm, digest.result()])) as Record<
    Algorithm,
    string
  >;
}

/** The name of one algorithm's checksum asset: `{{ algorithm }}` filled in. */
export function checksumFileName(template: string, algorithm: Algorithm): string {
  return template.replace(/\{\{\s*algorithm\s*\}\}/g, algorithm);
}

/**
 * Writes one file per algorithm in the `sha256sum` format (`<checksum>  <name>`), which
 * `sha256sum -c` checks after downloading: the line names the asset as it is in the release,
 * not the file's path in the workspace. Returns the written files, to be attached.
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
