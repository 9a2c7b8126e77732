import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A real S3 implementation on loopback: `@20minutes/s3rver` 5 (maintained, on npm, checks SigV4
 * signatures, does multipart uploads and CopyObject), behind a strict front for what it lacks:
 * it lets anonymous requests in (the front refuses them, as Garage and MinIO do), ignores
 * If-Match / If-None-Match on PUT (the front applies them, atomically per key) and has no
 * AbortMultipartUpload (the front answers it). The front also records every request and can
 * refuse or never answer chosen ones, for the failure tests.
 */

export const ACCESS_KEY = "AKIARELEASESITE7Q2W";
export const SECRET_KEY = "rs-secret/8d1f3c2a+9b7e";
export const BUCKET = "site";

interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
}
interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const require = createRequire(import.meta.url);
const S3rver = require("@20minutes/s3rver") as new (options: object) => S3rverInstance;
// s3rver's one account; a key pair of our own, so a secret in a test never equals the access key.
const account = require("@20minutes/s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
};
account.DUMMY_ACCOUNT.createKeyPair(ACCESS_KEY, SECRET_KEY);

export interface StoreRequest {
  method: string;
  key: string;
  query: string;
}

/** refuse: an S3 error; silent: no answer; endless: 200 with no Content-Length and no end. */
export type Fault = (request: StoreRequest) => "refuse" | "silent" | "endless" | undefined;

export interface TestStore {
  /** The front's address: what the plugin's `endpoint` is. */
  url: string;
  requests: StoreRequest[];
  /** Sets (or clears) the fault applied to every following request. */
  fault(fault: Fault | undefined): void;
  /** An object's bytes, read anonymously past the front (the test reading what downloaders get). */
  get(key: string): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>;
  /** Every key under a prefix. */
  keys(prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startTestStore(): Promise<TestStore> {
  const directory = await mkdtemp(path.join(tmpdir(), "release-site-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const backend = await server.run();
  const requests: StoreRequest[] = [];
  let fault: Fault | undefined;
  const locks = new Map<string, Promise<void>>();
  const hanging = new Set<http.ServerResponse>();

  const xmlError = (res: http.ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) =>
    new Promise<void>((resolve) => {
      const upstream = http.request(
        { host: "127.0.0.1", port: backend.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", resolve);
        },
      );
      upstream.on("error", () => {
        xmlError(res, 502, "BadGateway", "backend failed");
        resolve();
      });
      upstream.end(body);
    });

  const front = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://front");
    const [, bucket = "", ...rest] = url.pathname.split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const request: StoreRequest = { method: req.method ?? "", key, query: url.search };
    requests.push(request);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);

    const verdict = fault?.(request);
    if (verdict === "silent") {
      hanging.add(res);
      return;
    }
    if (verdict === "endless") {
      hanging.add(res);
      res.writeHead(200, { "Content-Type": "application/json", ETag: '"endless"' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", more);
      };
      return more();
    }
    if (verdict === "refuse")
      return xmlError(res, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    const signed = "authorization" in req.headers || url.searchParams.has("X-Amz-Signature");
    if (!signed) return xmlError(res, 403, "AccessDenied", "Access Denied");
    if (req.method === "DELETE" && url.searchParams.has("uploadId")) {
      res.writeHead(204);
      return res.end();
    }
    const ifMatch = req.headers["if-match"];
    const ifNoneMatch = req.headers["if-none-match"];
    if (req.method === "PUT" && (ifMatch || ifNoneMatch)) {
      const lockKey = `${bucket}/${key}`;
      const previous = locks.get(lockKey) ?? Promise.resolve();
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      locks.set(
        lockKey,
        previous.then(() => held),
      );
      await previous;
      try {
        const exists = await server.store.existsObject(bucket, key);
        const etag = exists ? (await server.store.getMetadata(bucket, key)).etag : undefined;
        const failed =
          (ifNoneMatch === "*" && exists) || (ifMatch !== undefined && etag !== ifMatch && ifMatch !== "*");
        if (failed)
          return xmlError(
            res,
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
          );
        await forward(req, res, body);
      } finally {
        release();
      }
      return;
    }
    await forward(req, res, body);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const port = (front.address() as AddressInfo).port;

  const get = (key: string) =>
    new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      http
        .get(
          `http://127.0.0.1:${backend.port}/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`,
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
            );
          },
        )
        .on("error", reject);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (next) => {
      fault = next;
    },
    get,
    keys: (prefix = "") => listKeys(backend.port, prefix),
    stop: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      front.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** ListObjectsV2 anonymously on the backend (s3rver lets it in), every page. */
async function listKeys(port: number, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({
      "list-type": "2",
      prefix,
      ...(token ? { "continuation-token": token } : {}),
    });
    const text = await (await fetch(`http://127.0.0.1:${port}/${BUCKET}?${query}`)).text();
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
