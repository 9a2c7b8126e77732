import http from "node:http";
import https from "node:https";
import { createInterface } from "node:readline";
import { formatBytes, HangarError, TimeoutError } from "@hangar/kit";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * The HTTP requests the plugin sends to the API server, on node:http(s) with the kubeconfig's
 * credentials and TLS settings. Every request runs under a deadline and the step's abort signal
 * (SIGTERM), and no answer is read past a size cap: a server that never answers, or answers
 * forever, ends the request with a clear error instead of holding the step or its memory.
 */

/** More than any object or list the plugin reads (a List of every Pod of a big namespace fits). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** One watch event: an object, never a stream of them. */
export const MAX_WATCH_LINE_BYTES = 4 * 1024 * 1024;

export interface ApiResponse {
  status: number;
  body: string;
}

export class ApiStatusError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export interface RequestLimits {
  /** Aborts the request (SIGTERM, or a deadline of the caller). */
  signal: AbortSignal;
  /** This request's own deadline. */
  timeoutMs: number;
  maxBytes?: number;
}

export class ApiClient {
  readonly #config: KubeConfig;
  readonly server: string;
  #options: Promise<https.RequestOptions> | undefined;

  constructor(config: KubeConfig) {
    this.#config = config;
    this.server = config.getCurrentCluster()?.server ?? "";
  }

  /** The kubeconfig's credentials and TLS settings (token, client certificate, CA), once. */
  #requestOptions(): Promise<https.RequestOptions> {
    this.#options ??= (async () => {
      const options: https.RequestOptions = {};
      await this.#config.applyToHTTPSOptions(options);
      return options;
    })();
    return this.#options;
  }

  /** Opens a request; resolves with the response once its head is in. */
  async #open(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const base = await this.#requestOptions();
    const url = new URL(path, this.server);
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        ...base,
        method,
        signal,
        headers: {
          ...(base.headers as Record<string, string> | undefined),
          Accept: "application/json",
          ...headers,
          ...(body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) }),
        },
      });
      request.on("response", resolve);
      request.on("error", reject);
      request.end(body);
    });
  }

  /** One request, its whole answer read (at most `maxBytes`); a status of 400 or more throws. */
  async request(
    method: string,
    path: string,
    limits: RequestLimits,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const deadline = AbortSignal.timeout(limits.timeoutMs);
    const signal = AbortSignal.any([limits.signal, deadline]);
    const maxBytes = limits.maxBytes ?? MAX_RESPONSE_BYTES;
    try {
      const response = await this.#open(method, path, body, headers, signal);
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > maxBytes) {
          response.destroy();
          throw new HangarError(
            "E_KUBERNETES_ANSWER_TOO_LARGE",
            `the API server's answer to ${method} ${path} passed ${formatBytes(maxBytes)}; it was cut off`,
            { hint: "Something between the runner and the API server answers with an endless body." },
          );
        }
        chunks.push(chunk);
      }
      const text = Buffer.concat(chunks).toString("utf8");
      const status = response.statusCode ?? 0;
      if (status >= 400) throw new ApiStatusError(status, text);
      return { status, body: text };
    } catch (error) {
      throw limitError(error, `${method} ${path}`, limits, deadline);
    }
  }

  /**
   * A watch: calls `onEvent` for every event until it returns true (resolves true), or the server
   * closes the stream (resolves false). No event is read past a size cap; `idleMs` without a
   * byte (the server sends none while nothing changes, so it is generous) ends the watch too.
   */
  async watch(
    path: string,
    onEvent: (type: string, object: unknown) => boolean,
    signal: AbortSignal,
    idleMs: number,
  ): Promise<boolean> {
    const controller = new AbortController();
    const both = AbortSignal.any([signal, controller.signal]);
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error("idle")), idleMs);
    };
    touch();
    try {
      const response = await this.#open("GET", path, undefined, {}, both);
      const status = response.statusCode ?? 0;
      if (status >= 400) {
        response.destroy();
        throw new ApiStatusError(status, "");
      }
      response.on("data", touch);
      const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
      let stopped = false;
      let tooLong = false;
      // readline keeps a line in memory until its end: watch the bytes of the unfinished one.
      let pending = 0;
      response.on("data", (chunk: Buffer) => {
        const newline = chunk.lastIndexOf(10);
        pending = newline === -1 ? pending + chunk.length : chunk.length - newline - 1;
        if (pending > MAX_WATCH_LINE_BYTES) {
          tooLong = true;
          response.destroy();
        }
      });
      for await (const line of lines) {
        if (line.trim() === "") continue;
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (event.type === "ERROR") break;
        if (onEvent(event.type ?? "", event.object)) {
          stopped = true;
          break;
        }
      }
      response.destroy();
      if (tooLong)
        throw new HangarError(
          "E_KUBERNETES_ANSWER_TOO_LARGE",
          `a watch event from the API server passed ${formatBytes(MAX_WATCH_LINE_BYTES)}; the watch was cut off`,
        );
      return stopped;
    } catch (error) {
      // Idle: the server (or a proxy) went quiet; the caller opens the watch again.
      if (controller.signal.aborted && !signal.aborted) return false;
      throw error;
    } finally {
      clearTimeout(idle);
    }
  }
}

function limitError(error: unknown, what: string, limits: RequestLimits, deadline: AbortSignal): unknown {
  if (limits.signal.aborted) return limits.signal.reason ?? error;
  if (deadline.aborted) {
    const timeout = new TimeoutError(`the API server to answer ${what}`, limits.timeoutMs);
    return new HangarError("E_KUBERNETES_TIMEOUT", timeout.message, {
      hint: "The API server accepted the connection but did not answer in time: check the address (a proxy or a firewall that swallows requests?), or raise `timeout`.",
    });
  }
  return error;
}
