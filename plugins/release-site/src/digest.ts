import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * A file's SHA-256 (for SHA256SUMS and the manifests) and the ETag the store will give it, in
 * one streamed read. S3 stores (AWS, Garage, MinIO, Ceph) tag an object sent in one PUT with its
 * MD5 and a multipart one with the MD5 of its parts' MD5s and the part count: knowing both lets
 * the plugin check what the store holds after the upload without downloading it. Some stores
 * (s3rver) tag a multipart object with its whole MD5 too, so both are always computed.
 */

export interface FileDigest {
  sha256: string;
  size: number;
  /** ETags the object may have once uploaded with `partSize` parts. */
  etags: string[];
}

/** Part size for a file: 8 MiB, larger when that would take more than S3's 10 000 parts. */
export function partSizeFor(size: number): number {
  const minimum = 8 * 1024 * 1024;
  return Math.max(minimum, Math.ceil(size / 10_000 / minimum) * minimum);
}

export async function digestFile(file: string, partSize: number): Promise<FileDigest> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  const parts: Buffer[] = [];
  let part = createHash("md5");
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5.update(chunk);
    size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - inPart, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      inPart += take;
      offset += take;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash("md5");
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || parts.length === 0) parts.push(part.digest());
  const whole = md5.digest("hex");
  const multipart = `${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}`;
  return { sha256: sha256.digest("hex"), size, etags: [whole, multipart] };
}

/** Whether an ETag is of the MD5 kind this can check (not an encrypted object's or another store's). */
export const isMd5Etag = (etag: string): boolean => /^[0-9a-f]{32}(-\d+)?$/.test(etag);
