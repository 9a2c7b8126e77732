import http from "node:http";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "../ports.ts";
import { makeTempDir } from "../temp-dir.ts";
import { listKeys, startS3rver } from "./backend.ts";
import { createFront, type S3Fault, type S3Request } from "./front.ts";

/**
 * An S3 store on loopback for tests, benches and the demo: s3rver behind a strict front (see
 * front.ts). One call starts it; `endpoint`, `bucket`, the keys and `region` are what an S3
 * client or a release-site step needs, `publicUrl` serves the bucket to a browser, `stop()`
 * removes everything.
 */

export interface S3StoreOptions {
  /** Default "site". */
  bucket?: string;
  accessKey?: string;
  secretKey?: string;
  /**
   * Whether PUT honours If-Match / If-None-Match (AWS, MinIO, Ceph, R2: true, the default) or
   * ignores them and writes anyway, as Garage does.
   */
  conditionalWrites?: boolean;
}

export interface S3Store {
  /** The S3 API's address (the strict front): a client's `endpoint`. */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** s3rver signs for any region; this is the one to use. */
  region: string;
  /** The bucket as a browser reads it, anonymously (`<publicUrl>/<key>`). */
  publicUrl: string;
  /** Every request the front received, in order. */
  requests: S3Request[];
  /** Sets (or clears) the fault applied to every following request. */
  fault(fault: S3Fault | undefined): void;
  /** An object's bytes and headers, read anonymously as a downloader would. */
  get(key: string): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>;
  /** Writes an object past the front (a test planting what another tool left). */
  put(key: string, body: string | Buffer, contentType?: string): Promise<void>;
  /** Every key under a prefix, sorted. */
  keys(prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3Store(options: S3StoreOptions = {}): Promise<S3Store> {
  const bucket = options.bucket ?? "site";
  const accessKey = options.accessKey ?? "AKIATESTBEDS3STORE01";
  const secretKey = options.secretKey ?? "testbed-s3/secret+7f3a";
  const dir = await makeTempDir("s3");
  const backend = await startS3rver(dir.path, bucket, { accessKey, secretKey });
  const front = createFront(backend, options.conditionalWrites ?? true);
  await new Promise<void>((resolve) => front.server.listen(0, LOOPBACK, resolve));
  const port = (front.server.address() as AddressInfo).port;
  const publicUrl = `http://${LOOPBACK}:${backend.port}/${bucket}`;

  const objectUrl = (key: string) => `${publicUrl}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const get = (key: string) =>
    new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      http
        .get(objectUrl(key), (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
        })
        .on("error", reject);
    });

  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    bucket,
    accessKey,
    secretKey,
    region: "us-east-1",
    publicUrl,
    requests: front.requests,
    fault: (next) => {
      front.fault = next;
    },
    get,
    put: async (key, body, contentType = "application/octet-stream") => {
      const answer = await fetch(objectUrl(key), {
        method: "PUT",
        body,
        headers: { "content-type": contentType },
      });
      if (!answer.ok)
        throw new Error(`PUT ${key} on the S3 store answered ${answer.status}: ${await answer.text()}`);
    },
    keys: (prefix = "") => listKeys(backend.port, bucket, prefix),
    stop: async () => {
      front.dropHeld();
      await new Promise<void>((resolve) => front.server.close(() => resolve()));
      front.server.closeAllConnections();
      await backend.server.close();
      await dir.remove();
    },
  };
}
