import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "../ports.ts";

/**
 * `@20minutes/s3rver` 5, the maintained S3 implementation on npm: it checks SigV4 signatures (as
 * Garage and MinIO do), does multipart uploads and CopyObject, and keeps objects on disk. What it
 * lacks, the front in front.ts adds.
 */

interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
}

export interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const S3rver = require("@20minutes/s3rver") as new (options: object) => S3rverInstance;
const account = require("@20minutes/s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
};

/** s3rver on loopback with one bucket, accepting the given key pair besides its own. */
export async function startS3rver(
  directory: string,
  bucket: string,
  keys: { accessKey: string; secretKey: string },
): Promise<{ server: S3rverInstance; port: number }> {
  // s3rver has one account; the pair is added to it, so a test's secret never equals its key id.
  account.DUMMY_ACCOUNT.createKeyPair(keys.accessKey, keys.secretKey);
  const server = new S3rver({
    address: LOOPBACK,
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  return { server, port: (await server.run()).port };
}

/** ListObjectsV2 anonymously on s3rver (it lets anonymous reads in), every page. */
export async function listKeys(port: number, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({
      "list-type": "2",
      prefix,
      ...(token ? { "continuation-token": token } : {}),
    });
    const text = await (await fetch(`http://${LOOPBACK}:${port}/${bucket}?${query}`)).text();
    for (const match of text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unxml(match[1] ?? ""));
    token = /<IsTruncated>true<\/IsTruncated>/.test(text)
      ? /<NextContinuationToken>([^<]*)</.exec(text)?.[1]
      : undefined;
  } while (token);
  return keys.sort();
}

const unxml = (text: string) =>
  text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
