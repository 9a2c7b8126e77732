import http from "node:http";
import { LOOPBACK } from "../ports.ts";
import type { S3rverInstance } from "./backend.ts";

/**
 * The strict front before s3rver, for what it lacks: it lets anonymous requests in (the front
 * refuses them, as Garage and MinIO do), ignores If-Match / If-None-Match on PUT (the front
 * applies them, atomically per key, unless told to ignore them as Garage does) and has no
 * AbortMultipartUpload (the front answers it). It records every request and can refuse, delay
 * or never answer chosen ones, for failure tests. Bodies are streamed through, never held.
 */

export interface S3Request {
  method: string;
  /** The object key, decoded; "" for a bucket request. */
  key: string;
  /** The query string, with its `?`. */
  query: string;
}

/**
 * refuse: an S3 error; silent: no answer; endless: 200 with no Content-Length and no end;
 * `{ delayMs }`: answered as usual after that long.
 */
export type S3Fault = (
  request: S3Request,
) => "refuse" | "silent" | "endless" | { delayMs: number } | undefined;

export interface Front {
  server: http.Server;
  requests: S3Request[];
  fault: S3Fault | undefined;
  /** Ends the answers held open by `silent` and `endless`. */
  dropHeld(): void;
}

export function createFront(
  backend: { port: number; server: S3rverInstance },
  conditionalWrites: boolean,
): Front {
  const requests: S3Request[] = [];
  const queues = new Map<string, Promise<void>>();
  const held = new Set<http.ServerResponse>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse) =>
    new Promise<void>((resolve) => {
      const upstream = http.request(
        { host: LOOPBACK, port: backend.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", resolve);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) xmlError(res, 502, "BadGateway", "backend failed");
        resolve();
      });
      req.pipe(upstream);
    });

  /** One conditional PUT per key at a time, so the check and the write are one step. */
  const conditionalPut = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    bucket: string,
    key: string,
  ) => {
    const queueKey = `${bucket}/${key}`;
    const previous = queues.get(queueKey) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    queues.set(
      queueKey,
      previous.then(() => mine),
    );
    await previous;
    try {
      const ifMatch = req.headers["if-match"];
      const ifNoneMatch = req.headers["if-none-match"];
      const exists = await backend.server.store.existsObject(bucket, key);
      const etag = exists ? (await backend.server.store.getMetadata(bucket, key)).etag : undefined;
      if (ifMatch !== undefined && !exists) {
        req.resume();
        return xmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
      }
      if ((ifNoneMatch === "*" && exists) || (ifMatch !== undefined && ifMatch !== "*" && etag !== ifMatch)) {
        req.resume();
        return xmlError(
          res,
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
        );
      }
      await forward(req, res);
    } finally {
      release();
    }
  };

  const front: Front = {
    requests,
    fault: undefined,
    dropHeld: () => {
      for (const res of held) res.destroy();
    },
    server: http.createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://front");
      const [, bucket = "", ...rest] = url.pathname.split("/");
      const request: S3Request = {
        method: req.method ?? "",
        key: rest.map(decodeURIComponent).join("/"),
        query: url.search,
      };
      requests.push(request);

      const verdict = front.fault?.(request);
      if (typeof verdict === "object") await new Promise((resolve) => setTimeout(resolve, verdict.delayMs));
      if (verdict === "silent" || verdict === "endless") {
        held.add(res);
        req.resume();
        if (verdict === "endless") endless(res);
        return;
      }
      if (verdict === "refuse") {
        req.resume();
        return xmlError(res, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
      }
      if (!("authorization" in req.headers || url.searchParams.has("X-Amz-Signature"))) {
        req.resume();
        return xmlError(res, 403, "AccessDenied", "Access Denied");
      }
      if (req.method === "DELETE" && url.searchParams.has("uploadId")) {
        req.resume();
        res.writeHead(204);
        return res.end();
      }
      const conditional = "if-match" in req.headers || "if-none-match" in req.headers;
      if (req.method === "PUT" && conditional && conditionalWrites)
        return conditionalPut(req, res, bucket, request.key);
      await forward(req, res);
    }),
  };
  return front;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

function endless(res: http.ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/json", ETag: '"endless"' });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const more = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", more);
  };
  more();
}
