import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { HangarError, trustCertificates } from "@hangar/kit";
import type { StorePlan } from "./plan.ts";

/**
 * One bucket through the AWS SDK, which speaks to Garage, MinIO, Ceph, R2 and AWS alike. Every
 * request is bounded: the SDK's own request timeout is made to throw (it only warns by default)
 * and each call also carries a deadline of `timeout`, retries included. Failures are explained
 * by the setting to change, never with the key.
 */

export interface ObjectHead {
  size: number;
  etag: string;
  sha256: string | undefined;
}

export interface WriteOptions {
  contentType: string;
  cacheControl: string;
  /** Written only if the object still has this ETag (If-Match), or does not exist (`absent`). */
  expect?: { etag: string } | "absent" | undefined;
  /** `sha256` for a versioned object, as uploaded files carry it. */
  metadata?: Record<string, string>;
}

/** The store refused a conditional write: someone else wrote the object in between. */
export class ConditionFailed extends Error {}

/** A manifest or page is small; anything larger is not what this plugin wrote. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export class SiteStore {
  readonly #client: S3Client;
  readonly #plan: StorePlan;
  readonly #signal: AbortSignal;

  constructor(plan: StorePlan, signal: AbortSignal) {
    if (plan.ca) trustCertificates(plan.ca);
    this.#plan = plan;
    this.#signal = signal;
    this.#client = new S3Client({
      endpoint: plan.endpoint,
      region: plan.region,
      forcePathStyle: plan.pathStyle,
      credentials: { accessKeyId: plan.accessKey, secretAccessKey: plan.secretKey },
      requestHandler: {
        connectionTimeout: plan.timeoutMs,
        requestTimeout: plan.timeoutMs,
        throwOnRequestTimeout: true,
      },
      // Garage, Ceph and R2 reject the SDK's newer default checksum headers and trailers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
    });
  }

  /** The same connection under another signal: clean-up after a cancel runs under the grace period's. */
  withSignal(signal: AbortSignal): SiteStore {
    return new SiteStore(this.#plan, signal);
  }

  get bucket(): string {
    return this.#plan.bucket;
  }

  /** The run's cancel: waits between requests end on it too. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  #deadline(): AbortSignal {
    return AbortSignal.any([this.#signal, AbortSignal.timeout(this.#plan.timeoutMs)]);
  }

  async #call<T>(what: string, key: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await send(this.#deadline());
    } catch (error) {
      throw explain(error, what, key, this.#plan, this.#signal);
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const head = await this.#call("HEAD", key, (abortSignal) =>
        this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
      );
      return {
        size: head.ContentLength ?? 0,
        etag: unquote(head.ETag),
        sha256: head.Metadata?.sha256,
      };
    } catch (error) {
      if (error instanceof HangarError && error.code === "E_S3_NOT_FOUND") return undefined;
      throw error;
    }
  }

  /** A small object's text and ETag; undefined when it does not exist. */
  async getText(key: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      return await this.#call("GET", key, async (abortSignal) => {
        const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
          abortSignal,
        });
        const tooLarge = () =>
          new HangarError("E_S3_TOO_LARGE", `${key} is larger than a manifest can be (16 MiB)`);
        if ((answer.ContentLength ?? 0) > MAX_TEXT_BYTES) throw tooLarge();
        // Counted as it arrives too: a store may send no Content-Length, or a wrong one.
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of (answer.Body ?? []) as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          if (size > MAX_TEXT_BYTES) throw tooLarge();
          chunks.push(Buffer.from(chunk));
        }
        return { text: Buffer.concat(chunks).toString("utf8"), etag: unquote(answer.ETag) };
      });
    } catch (error) {
      if (error instanceof HangarError && error.code === "E_S3_NOT_FOUND") return undefined;
      throw error;
    }
  }

  async putText(key: string, body: string, options: WriteOptions): Promise<string> {
    const expect = options.expect;
    try {
      const answer = await this.#call("PUT", key, (abortSignal) =>
        this.#client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: options.contentType,
            CacheControl: options.cacheControl,
            ...(options.metadata ? { Metadata: options.metadata } : {}),
            ...(expect === "absent" ? { IfNoneMatch: "*" } : expect ? { IfMatch: `"${expect.etag}"` } : {}),
          }),
          { abortSignal },
        ),
      );
      return unquote(answer.ETag);
    } catch (error) {
      // AWS answers an If-Match on an object removed meanwhile with 404 rather than 412.
      const gone = error instanceof HangarError && error.code === "E_S3_NOT_FOUND" && expect !== undefined;
      if (gone || (error instanceof HangarError && error.code === "E_S3_CONDITION"))
        throw new ConditionFailed(key);
      throw error;
    }
  }

  /**
   * Streams a file up: one PUT when it fits a part, else a multipart upload of `partSize` parts,
   * `queueSize` at a time (memory stays at about their product). A failed multipart upload is
   * aborted, so no parts are left to pay for. `progress` gets the bytes acknowledged.
   */
  async upload(
    key: string,
    file: string,
    options: { contentType: string; cacheControl: string; sha256: string; partSize: number; size: number },
    progress: (loaded: number) => void,
  ): Promise<void> {
    const params = {
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      Metadata: { sha256: options.sha256 },
    };
    if (options.size <= options.partSize) {
      // One PUT, streamed and counted as the request takes it: the SDK's Upload would read the
      // file into memory first and tell its progress only at the end.
      let sent = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent += chunk.length;
          progress(sent);
          done(null, chunk);
        },
      });
      try {
        await this.#client.send(
          new PutObjectCommand({
            ...params,
            Body: createReadStream(file).pipe(counted),
            ContentLength: options.size,
          }),
          { abortSignal: this.#signal },
        );
        return;
      } catch (error) {
        throw explain(error, "upload", key, this.#plan, this.#signal);
      }
    }
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    this.#signal.addEventListener("abort", onAbort, { once: true });
    try {
      const upload = new Upload({
        client: this.#client,
        partSize: options.partSize,
        queueSize: 2,
        leavePartsOnError: false,
        abortController,
        params: { ...params, Body: createReadStream(file) },
      });
      upload.on("httpUploadProgress", (event) => progress(event.loaded ?? 0));
      await upload.done();
    } catch (error) {
      throw explain(error, "upload", key, this.#plan, this.#signal);
    } finally {
      this.#signal.removeEventListener("abort", onAbort);
    }
  }

  /** A copy made by the store itself (CopyObject): nothing is downloaded. Metadata and headers go along. */
  async copy(from: string, to: string): Promise<void> {
    await this.#call("COPY", to, (abortSignal) =>
      this.#client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`,
          MetadataDirective: "COPY",
        }),
        { abortSignal },
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#call("DELETE", key, (abortSignal) =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
    );
  }

  destroy(): void {
    this.#client.destroy();
  }
}

const unquote = (etag: string | undefined): string => (etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");

/** An SDK failure as the setting to change: the key is never part of it. */
export function explain(
  error: unknown,
  what: string,
  key: string,
  plan: StorePlan,
  signal: AbortSignal,
): HangarError {
  if (error instanceof HangarError) return error;
  const where = `${what} s3://${plan.bucket}/${key} on ${plan.endpoint}`;
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const code = error instanceof Error ? error.name : "";
  if (signal.aborted) return new HangarError("E_CANCELLED", `${where}: cancelled`, { cause: error });
  if (
    code === "TimeoutError" ||
    code === "AbortError" ||
    /timed? ?out/i.test(error instanceof Error ? error.message : "")
  )
    return new HangarError("E_S3_TIMEOUT", `${where}: no answer within timeout (${plan.timeoutMs} ms)`, {
      hint: "Check that endpoint is the store's S3 address and that it is up; raise timeout for a slow link.",
    });
  if (status === 404 && code !== "NoSuchBucket")
    return new HangarError("E_S3_NOT_FOUND", `${where}: not found`);
  if (status === 412 || code === "PreconditionFailed")
    return new HangarError("E_S3_CONDITION", `${where}: changed meanwhile`);
  if (code === "NoSuchBucket")
    return new HangarError("E_S3_BUCKET", `${where}: the bucket ${plan.bucket} does not exist`, {
      hint: "Check bucket (and path_style: a store addressed by host name sees another bucket).",
    });
  if (code === "InvalidAccessKeyId")
    return new HangarError("E_S3_ACCESS_KEY", `${where}: the store knows no access_key ${plan.accessKey}`, {
      hint: "Check access_key, and that endpoint is the store the key was made on.",
    });
  // A HEAD's 403 has no body and so no code (AWS, Garage and MinIO alike): a wrong secret looks the same.
  if (
    code === "SignatureDoesNotMatch" ||
    (status === 403 && (what === "HEAD" || code === "Forbidden" || code === "403"))
  )
    return new HangarError(
      "E_S3_SIGNATURE",
      `${where}: the store refused the request's signature (${status ?? "403"})`,
      {
        hint: "Check secret_key (it must belong to access_key) and region (Garage's is `garage`).",
      },
    );
  if (status === 403 || code === "AccessDenied")
    return new HangarError("E_S3_DENIED", `${where}: access denied`, {
      hint: `Give access_key ${plan.accessKey} read and write permission on the bucket ${plan.bucket}.`,
    });
  const syscall = (error as { code?: string }).code;
  if (syscall && /^E[A-Z]+$/.test(syscall))
    return new HangarError("E_S3_UNREACHABLE", `${where}: ${syscall}`, {
      hint: "Check endpoint (scheme, host and port) and, for a private CA, ca_cert.",
      cause: error,
    });
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new HangarError(
    "E_S3_FAILED",
    `${where}: ${status ?? ""} ${code}: ${message}`.replace(/\s+/g, " "),
    {
      cause: error,
    },
  );
}
