import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";

/** An upload written to disk: never held in memory beyond the first bytes kept for sniffing. */
export interface StoredFile {
  uuid: string;
  path: string;
  size: number;
  sha256: string;
  /** The first 1024 bytes, which Gitea's upload.Verify sniffs. */
  head: Buffer;
}

async function store(source: Readable, dir: string): Promise<StoredFile> {
  const uuid = randomUUID();
  const path = join(dir, uuid);
  const hash = createHash("sha256");
  let size = 0;
  let head = Buffer.alloc(0);
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      if (head.length < 1024) head = Buffer.concat([head, chunk.subarray(0, 1024 - head.length)]);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, tap, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { uuid, path, size, sha256: hash.digest("hex"), head };
}

/** A raw body (Content-Type other than multipart): the whole body is the file. */
export function receiveRaw(req: IncomingMessage, dir: string): Promise<StoredFile> {
  return store(req, dir);
}

export interface MultipartUpload {
  /** The first file part named `field`, with the file name the client gave (base name only). */
  file: (StoredFile & { filename: string }) | undefined;
  /** Text fields (first value of each). */
  fields: Map<string, string>;
}

/**
 * Streams a multipart/form-data body: the first file part named `field` goes to disk, other
 * file parts are read and dropped. Rejects on a malformed body (Gitea answers those with 500).
 */
export function receiveMultipart(req: IncomingMessage, dir: string, field: string): Promise<MultipartUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, preservePath: false });
    } catch (error) {
      req.resume();
      reject(error);
      return;
    }
    const fields = new Map<string, string>();
    let stored: Promise<StoredFile & { filename: string }> | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      stored?.then((file) => rm(file.path, { force: true })).catch(() => undefined);
      reject(error);
    };
    parser.on("file", (name, stream, info) => {
      if (name !== field || stored) {
        stream.resume();
        return;
      }
      stored = store(stream, dir).then((file) => ({ ...file, filename: info.filename ?? "" }));
      stored.catch(fail);
    });
    parser.on("field", (name, value) => {
      if (!fields.has(name)) fields.set(name, value);
    });
    parser.once("error", fail);
    parser.once("close", () => {
      if (failed) return;
      (stored ?? Promise.resolve(undefined)).then((file) => resolve({ file, fields }), fail);
    });
    req.once("aborted", () => fail(new Error("the client aborted the upload")));
    req.pipe(parser);
  });
}
