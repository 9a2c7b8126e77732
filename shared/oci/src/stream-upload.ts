/**
 * A request whose body is a stream, sent with node:http(s): it writes each chunk as the socket
 * drains and lets it go. fetch (undici) keeps every chunk of a stream body it sent until the
 * answer, so the whole blob ends up in memory (measured: a 57 MB blob, 58 MB of buffers; node:http,
 * 1 MB; plugins/image-publish/test/stream.test.ts).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface StreamRequest {
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array>;
  signal?: AbortSignal | undefined;
}

export type StreamUpload = (url: string, init: StreamRequest) => Promise<Response>;

function answer(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const status = res.statusCode ?? 502;
  const empty = method === "HEAD" || status === 204 || status === 304;
  if (empty) res.resume();
  return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
    status,
    headers,
  });
}

export const streamUpload: StreamUpload = (url, init) => {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: init.method, headers: Object.fromEntries(init.headers), signal: init.signal },
      (res) => {
        // A status no Response can hold (a hostile 700) rejects the request, not the process.
        try {
          resolve(answer(res, init.method));
        } catch (error) {
          res.destroy();
          reject(error);
        }
      },
    );
    req.on("error", reject);
    // A registry may answer (and close) before it read the whole body: that answer counts, not the broken pipe.
    pipeline(Readable.fromWeb(init.body as never), req).catch(reject);
  });
};
