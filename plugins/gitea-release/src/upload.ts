import { open, stat } from "node:fs/promises";
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import { readCapped, StalledTransfer } from "@hangar/gitea";
import type { Attachment } from "gitea-js";

/**
 * Streams one file to Gitea's attachment endpoint as multipart/form-data, with node:http(s).
 *
 * Not through fetch (and so not through gitea-js): Node's fetch keeps a request body in memory
 * until the request is over (nodejs/undici#4058), which for a 1 GiB asset is 1 GiB of memory.
 * node:http writes the file as the socket drains, so memory stays flat whatever the size: two
 * buffers, one being read into while the other is written, each reused once the socket took it
 * (fresh buffers per chunk would leave garbage faster than the collector returns it). The
 * Content-Length is exact, so a proxy's body limit answers at once instead of after the upload.
 * TLS trust (`ca_cert`, `insecure`) is process-wide (kit/tls.ts) and applies here as well.
 */
export interface StreamUpload {
  /** …/api/v1/repos/{owner}/{repo}/releases/{id}/assets */
  url: string;
  token: string;
  file: string;
  name: string;
  signal?: AbortSignal | undefined;
  /** No progress for this long, or no (complete) answer this long after the file is sent, fails it. */
  timeoutMs: number;
  maxAnswerBytes: number;
  /** Told of every chunk the socket took, for the progress lines. */
  sent?: ((bytes: number) => void) | undefined;
}

/** A refused upload, shaped like gitea-js's errors: a Response with the parsed body as `error`. */
function refusal(status: number, statusText: string, text: string): Response {
  let parsed: unknown = { message: statusText };
  try {
    parsed = JSON.parse(text);
  } catch {
    // An HTML page from a proxy (nginx's 413): the status says enough.
  }
  const response = new Response(text, { status, statusText });
  return Object.assign(response, { error: parsed });
}

const CHUNK = 256 * 1024;

/** Writes the file's bytes to the request, reading the next chunk while the last one is sent. */
async function writeFile(
  request: ClientRequest,
  file: string,
  sent: (bytes: number) => void = () => {},
): Promise<void> {
  const handle = await open(file);
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let sending: Promise<void> = Promise.resolve();
    for (let index = 0; ; index++) {
      const buffer = buffers[index % 2] as Buffer;
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      await sending;
      if (bytesRead === 0) return;
      const chunk = bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
      if (request.destroyed) throw new Error("the upload was stopped");
      sending = new Promise((resolve, reject) =>
        request.write(chunk, (error) => {
          if (error) return reject(error);
          sent(bytesRead);
          resolve();
        }),
      );
      // The write may fail (a cancel destroys the request) while the next chunk is being read,
      // before `await sending` sees it: without a handler by then, Node takes it for an
      // unhandled rejection and kills the process with ERR_STREAM_DESTROYED.
      sending.catch(() => {});
    }
  } finally {
    await handle.close();
  }
}

export async function streamAttachment(upload: StreamUpload): Promise<{ data: Attachment }> {
  const { size } = await stat(upload.file);
  const boundary = `----hangar${crypto.randomUUID().replaceAll("-", "")}`;
  const filename = upload.name.replace(/["\r\n\\]/g, "_");
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="${filename}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(upload.url);
  url.searchParams.set("name", upload.name);

  const client = url.protocol === "https:" ? https : http;
  const request = client.request(url, {
    method: "POST",
    headers: {
      Authorization: `token ${upload.token}`,
      Accept: "application/json",
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
      "Content-Length": String(head.length + size + tail.length),
    },
    ...(upload.signal ? { signal: upload.signal } : {}),
  });
  const seconds = `${upload.timeoutMs / 1000}s`;
  const deadlines = new Deadlines(request);
  // Listened to with `on`, not `once`: an abort can be followed by a second error (a write to
  // the destroyed request), which must not surface as an uncaught exception.
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.on("response", resolve);
    request.on("error", reject);
  });
  answered.catch(() => {});
  // A proxy that swallows the upload stops reading: nothing moves on the socket either way.
  request.setTimeout(upload.timeoutMs, () => deadlines.fail(`no progress for ${seconds}`));
  // A server may answer (413, 401) and close before the body is through: its answer counts.
  const sent = (async () => {
    request.write(head);
    await writeFile(request, upload.file, upload.sent);
    if (request.destroyed) return;
    request.end(tail);
    // Sent in full: from here on, what counts is the answer, and it has `timeout` to come.
    request.setTimeout(0);
    deadlines.start(upload.timeoutMs, `no answer within ${seconds} after the file was sent`);
  })().catch((error: unknown) => {
    request.destroy(error instanceof Error ? error : undefined);
    return error;
  });

  try {
    const response = await answered;
    deadlines.start(upload.timeoutMs, `the answer did not end within ${seconds}`);
    const body = await readCapped(response, upload.maxAnswerBytes, response.headers["content-length"]);
    const text = body.toString("utf8");
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw refusal(status, response.statusMessage ?? "", text);
    const failed = await sent;
    if (failed) throw failed;
    return { data: JSON.parse(text) as Attachment };
  } catch (error) {
    request.destroy();
    // Destroying the request makes the answer's stream fail with its own error: report why.
    throw deadlines.reason ?? error;
  } finally {
    deadlines.clear();
  }
}

/** The timers that bound an upload once its file is sent or its answer has begun. */
class Deadlines {
  readonly #request: ClientRequest;
  readonly #timers: NodeJS.Timeout[] = [];
  reason: StalledTransfer | undefined;

  constructor(request: ClientRequest) {
    this.#request = request;
  }

  start(ms: number, reason: string): void {
    this.#timers.push(setTimeout(() => this.fail(reason), ms));
  }

  fail(reason: string): void {
    this.reason ??= new StalledTransfer(reason);
    this.#request.destroy(this.reason);
  }

  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
  }
}
