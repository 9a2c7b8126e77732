import { createHash } from "node:crypto";
import { HangarError } from "@hangar/kit";
import { isMd5Etag } from "./digest.ts";
import type { ObjectHead, SiteStore } from "./store.ts";

/**
 * A versioned object (a file or SHA256SUMS) is written once: one that is already there with the
 * same size and SHA-256 is kept (a re-run uploads nothing), and every write is checked by a HEAD
 * afterwards: the size, the SHA-256 it carries, and the ETag the store computed from the bytes
 * it received, against the one the plugin computed from the file.
 */

export interface Expected {
  size: number;
  sha256: string;
  /** ETags the object may have; empty when unknown (a server-side copy keeps the source's). */
  etags: string[];
}

export function sameContent(head: ObjectHead | undefined, expected: Expected): boolean {
  return head !== undefined && head.size === expected.size && head.sha256 === expected.sha256;
}

export async function verifyObject(store: SiteStore, key: string, expected: Expected): Promise<void> {
  const head = await store.head(key);
  const problem = !head
    ? "is missing after the upload"
    : head.size !== expected.size
      ? `has ${head.size} bytes, not ${expected.size}`
      : head.sha256 !== expected.sha256
        ? "does not carry the file's SHA-256"
        : expected.etags.length > 0 && isMd5Etag(head.etag) && !expected.etags.includes(head.etag)
          ? `has ETag ${head.etag}, not the file's ${expected.etags[0]}`
          : undefined;
  if (problem) {
    throw new HangarError("E_S3_VERIFY", `s3://${store.bucket}/${key} ${problem}`, {
      hint: "The store did not keep what was sent; run the step again, and check the store's disk and any proxy in front of it.",
    });
  }
}

/** The expectations for a small text object written in one PUT. */
export function expectedText(text: string): Expected {
  const bytes = Buffer.from(text);
  return {
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    etags: [createHash("md5").update(bytes).digest("hex")],
  };
}
