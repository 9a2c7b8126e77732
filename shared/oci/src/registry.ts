/**
 * A small client for the registry HTTP API v2 (the OCI distribution spec) over fetch: manifests and
 * blobs by digest, cross-repository blob mounts, monolithic uploads, tags. Authentication the way
 * Docker does it: anonymous first; on a 401 with `WWW-Authenticate: Bearer realm=…,service=…` a token
 * is fetched from the realm (with Basic credentials when given; Gitea, Docker Hub, GitLab), on a 401
 * with `Basic` the credentials are sent. Credentials never appear in an error or a log line.
 *
 * What a registry answers is not trusted to decide where credentials go: the Authorization header
 * (Basic or a token) goes only to the registry's own origin, never to an upload `Location`, a
 * `Link` page or a redirect on another one; and the Basic credentials go to the token realm the
 * registry names only over https, on loopback, or on the registry's own origin (which the
 * pipeline named, plain http included), never over plain http elsewhere.
 */
import { sha256 } from "./layer.ts";
import { type StreamUpload, streamUpload } from "./stream-upload.ts";

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** "127.0.0.1:5000", "gitea.example.com", "docker.io"; a scheme may be given ("http://host:port"). */
  host: string;
  credentials?: Credentials | undefined;
  /** Deadline for each request (default 120 s). */
  timeoutMs?: number;
  /**
   * Attempts of a request the registry answers 429 or 5xx (default 1: no retry). Waits 0.5 s,
   * 1 s, 2 s … between them (or the Retry-After it names, up to 30 s).
   */
  attempts?: number;
  /** Where a retry is announced (the registry's status, the wait); never a credential. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
  /** Sends a request whose body is a stream (default: node:http(s), which reads the stream only as fast as it sends). */
  upload?: StreamUpload;
  /** Waits between retries (tests pass a short one). */
  sleep?: (ms: number) => Promise<void>;
}

/** Statuses a busy or restarting registry answers that a later attempt may not get. */
function transient(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

function retryAfterMs(response: Response, fallback: number): number {
  const value = response.headers.get("retry-after");
  const seconds = value && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Math.min(Number.isNaN(seconds) ? fallback : seconds * 1000, 30_000);
}

export interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: manifests and indexes are plain JSON documents
  json: any;
}

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(", ");

export class RegistryError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "RegistryError";
    this.status = status;
  }
}

/** Whether a host name (as a URL spells it, without the port) is this machine's loopback. */
export function isLoopbackName(name: string): boolean {
  return name === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(name) || name === "[::1]";
}

/** Loopback and "localhost" speak plain HTTP (as Docker treats them); everything else HTTPS. */
export function registryBaseUrl(host: string): string {
  if (/^https?:\/\//.test(host)) return host.replace(/\/+$/, "");
  if (host === "docker.io" || host === "index.docker.io") return "https://registry-1.docker.io";
  const plain = isLoopbackName(host.replace(/:\d+$/, ""));
  return `${plain ? "http" : "https"}://${host}`;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    params[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  return { scheme, params };
}

/** Counts an upload's bytes as they go out (e.g. for a line every few seconds). */
export type BlobProgress = (digest: string, size: number) => { add(bytes: number): void; done(): unknown };

/**
 * A blob sent as a stream (a layer file, a blob read from another registry): its size, and a fresh
 * stream for each attempt. The registry checks the digest (`?digest=`), so nothing is held in memory.
 */
export interface BlobBody {
  size: number;
  open(): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;
}

type BodySource = NonNullable<RequestInit["body"]> | Promise<NonNullable<RequestInit["body"]>>;

const CHUNK = 256 * 1024;

/** The bytes as a stream of chunks. */
function chunked(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const chunk = bytes.subarray(offset, offset + CHUNK);
        offset += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Each chunk counted when the connection takes it. */
function counted(stream: ReadableStream<Uint8Array>, counter: { add(bytes: number): void }) {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        counter.add(value.length);
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  /** Authorization header per scope string ("" = the registry-wide one). */
  private readonly auth = new Map<string, string>();

  private readonly options: RegistryOptions;

  constructor(options: RegistryOptions) {
    this.options = options;
    this.baseUrl = registryBaseUrl(options.host);
    this.fetch = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /**
   * Sends a request to `path` ("/v2/…" or an absolute upload URL), authenticating on a 401. A URL
   * the registry named on another origin (an upload Location, a next page) goes without the
   * Authorization header and is not authenticated for: the login belongs to this registry only.
   */
  async request(
    method: string,
    path: string,
    scope: string,
    init: RequestInit = {},
    body?: () => BodySource,
  ): Promise<Response> {
    const attempts = Math.max(1, this.options.attempts ?? 1);
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    for (let attempt = 1; ; attempt++) {
      const response = await this.requestOnce(method, path, scope, init, body);
      if (attempt >= attempts || !transient(response.status)) return response;
      const wait = retryAfterMs(response, 500 * 2 ** (attempt - 1));
      await response.body?.cancel();
      this.options.log?.(
        `${method} ${new URL(path, this.baseUrl).pathname} on ${this.options.host}: ${response.status}, attempt ${attempt + 1} of ${attempts} in ${(wait / 1000).toFixed(1)} s`,
      );
      await sleep(wait);
    }
  }

  /** `body` makes a fresh body for each send (a stream cannot be sent twice). */
  private async requestOnce(
    method: string,
    path: string,
    scope: string,
    init: RequestInit,
    body: (() => BodySource) | undefined,
  ): Promise<Response> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    const ours = new URL(url).origin === new URL(this.baseUrl).origin;
    const send = async () => {
      const headers = new Headers(init.headers);
      const auth = ours ? this.auth.get(scope) : undefined;
      if (auth) headers.set("authorization", auth);
      const fresh = await body?.();
      const signal = AbortSignal.timeout(this.timeoutMs);
      try {
        if (fresh instanceof ReadableStream) {
          return await (this.options.upload ?? streamUpload)(url, { method, headers, body: fresh, signal });
        }
        return await this.fetch(url, {
          ...init,
          ...(fresh === undefined ? {} : { body: fresh, duplex: "half" }),
          method,
          headers,
          redirect: "follow",
          signal,
        } as RequestInit);
      } catch (error) {
        const why =
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
        throw new RegistryError(`${method} ${new URL(url).pathname} on ${this.options.host} failed: ${why}`);
      }
    };
    let response = await send();
    if (response.status === 401 && ours && !this.auth.has(scope)) {
      await response.body?.cancel();
      await this.authenticate(response.headers.get("www-authenticate") ?? "", scope);
      response = await send();
    }
    return response;
  }

  private async authenticate(challenge: string, scope: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const creds = this.options.credentials;
    const basic = creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`
      : "";
    if (scheme === "basic") {
      if (!basic) throw new RegistryError(`${this.options.host} wants a user name and password`, 401);
      this.auth.set(scope, basic);
      return;
    }
    if (scheme !== "bearer" || !params.realm) {
      throw new RegistryError(
        `${this.options.host} asked for an unknown authentication (${scheme || "none"})`,
        401,
      );
    }
    let url: URL;
    try {
      url = new URL(params.realm);
    } catch {
      throw new RegistryError(`${this.options.host} named a token service that is not a URL`, 401);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new RegistryError(`${this.options.host} named a ${url.protocol} token service`, 401);
    }
    const where = `${url.origin}${url.pathname}`;
    const trusted =
      url.protocol === "https:" ||
      isLoopbackName(url.hostname) ||
      url.origin === new URL(this.baseUrl).origin;
    if (basic && !trusted) {
      throw new RegistryError(
        `${this.options.host} named the token service ${where}, over plain http on another host: ` +
          "the credentials go to a token service over https only (or on loopback, or on the registry's own origin)",
        401,
      );
    }
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of (scope || params.scope || "").split(" ").filter(Boolean))
      url.searchParams.append("scope", s);
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: basic ? { authorization: basic } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RegistryError(
        `the token service ${where} failed: ${error instanceof Error ? error.message : ""}`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      const who = creds ? `as ${creds.username}` : "anonymously";
      throw new RegistryError(
        `the token service ${where} refused ${who} (${response.status})`,
        response.status,
      );
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token || body.access_token;
    if (!token) throw new RegistryError(`the token service ${where} answered no token`);
    this.auth.set(scope, `Bearer ${token}`);
  }

  private async fail(response: Response, what: string): Promise<never> {
    let detail = "";
    try {
      const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
      detail = (body.errors ?? []).map((e) => `${e.code ?? ""} ${e.message ?? ""}`.trim()).join("; ");
    } catch {
      // not a registry error document
    }
    throw new RegistryError(`${what}: ${response.status}${detail ? ` ${detail}` : ""}`, response.status);
  }

  static pull(repository: string): string {
    return `repository:${repository}:pull`;
  }
  static push(repository: string, from?: string): string {
    return `repository:${repository}:pull,push${from && from !== repository ? ` repository:${from}:pull` : ""}`;
  }

  /** A manifest or index by tag or digest; undefined when absent. */
  async getManifest(repository: string, reference: string, scope = RegistryClient.pull(repository)) {
    const response = await this.request("GET", `/v2/${repository}/manifests/${reference}`, scope, {
      headers: { accept: ACCEPT },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) return this.fail(response, `GET ${repository}:${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256(bytes);
    const json = JSON.parse(bytes.toString("utf8"));
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new RegistryError(`${repository}@${reference} answered content with digest ${digest}`);
    }
    const mediaType = json.mediaType ?? response.headers.get("content-type") ?? "";
    return { digest, mediaType, bytes, json } satisfies Manifest;
  }

  /** The digest a tag points to (HEAD), or undefined. */
  async resolve(repository: string, reference: string, scope = RegistryClient.pull(repository)) {
    const response = await this.request("HEAD", `/v2/${repository}/manifests/${reference}`, scope, {
      headers: { accept: ACCEPT },
    });
    await response.body?.cancel();
    if (response.status === 404) return undefined;
    if (!response.ok) return this.fail(response, `HEAD ${repository}:${reference}`);
    const digest = response.headers.get("docker-content-digest");
    if (digest) return digest;
    return (await this.getManifest(repository, reference, scope))?.digest;
  }

  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const response = await this.request(
      "PUT",
      `/v2/${repository}/manifests/${reference}`,
      RegistryClient.push(repository),
      {
        headers: { "content-type": mediaType },
        body: bytes,
      },
    );
    await response.body?.cancel();
    if (!response.ok) return this.fail(response, `PUT ${repository}:${reference}`);
    return sha256(bytes);
  }

  async getBlob(
    repository: string,
    digest: string,
    scope = RegistryClient.pull(repository),
  ): Promise<Buffer> {
    const bytes = Buffer.from(
      await new Response(await this.openBlob(repository, digest, scope)).arrayBuffer(),
    );
    if (sha256(bytes) !== digest)
      throw new RegistryError(`blob ${repository}@${digest} does not match its digest`);
    return bytes;
  }

  async hasBlob(
    repository: string,
    digest: string,
    scope = RegistryClient.push(repository),
  ): Promise<boolean> {
    const response = await this.request("HEAD", `/v2/${repository}/blobs/${digest}`, scope);
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) return this.fail(response, `HEAD blob ${repository}@${digest}`);
    return true;
  }

  /** A blob's bytes as a stream, for copying it to another registry without holding it. */
  async openBlob(
    repository: string,
    digest: string,
    scope = RegistryClient.pull(repository),
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.request("GET", `/v2/${repository}/blobs/${digest}`, scope);
    if (!response.ok || !response.body) return this.fail(response, `GET blob ${repository}@${digest}`);
    return response.body;
  }

  /**
   * Makes `digest` present in `repository`: nothing when it is there, a cross-repository mount from
   * `from` on the same registry when possible (the token asked for asks `from`'s pull scope too),
   * else an upload of `data()`: a POST, then one PUT with the whole blob (the spec's monolithic
   * upload), streamed. Returns how it got there.
   */
  async ensureBlob(
    repository: string,
    digest: string,
    data: () => Promise<Buffer | BlobBody> | Buffer | BlobBody,
    from?: string,
    progress?: BlobProgress,
  ): Promise<"present" | "mounted" | "uploaded"> {
    const scope = RegistryClient.push(repository, from);
    if (await this.hasBlob(repository, digest, scope)) return "present";
    const query =
      from && from !== repository
        ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`
        : "";
    const start = await this.request("POST", `/v2/${repository}/blobs/uploads/${query}`, scope);
    await start.body?.cancel();
    if (start.status === 201) return "mounted";
    if (start.status !== 202) return this.fail(start, `POST upload to ${repository}`);
    const location = start.headers.get("location");
    if (!location) throw new RegistryError(`POST upload to ${repository}: no Location in the answer`);
    const blob = await data();
    if (Buffer.isBuffer(blob) && sha256(blob) !== digest)
      throw new RegistryError(`the data for ${digest} does not match its digest`);
    const size = Buffer.isBuffer(blob) ? blob.length : blob.size;
    const url = new URL(location, this.baseUrl);
    url.searchParams.set("digest", digest);
    const counter = progress?.(digest, size);
    const put = await this.request(
      "PUT",
      url.toString(),
      scope,
      { headers: { "content-type": "application/octet-stream", "content-length": String(size) } },
      async () => {
        if (Buffer.isBuffer(blob) && !counter) return blob;
        const stream = Buffer.isBuffer(blob) ? chunked(blob) : await blob.open();
        return counter ? counted(stream, counter) : stream;
      },
    );
    counter?.done();
    await put.body?.cancel();
    if (put.status !== 201 && !put.ok) return this.fail(put, `PUT blob ${digest} to ${repository}`);
    return "uploaded";
  }

  /** Every tag of a repository (follows the Link header's pages); [] when the repository is unknown. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    for (let page = 0; path && page < 1000; page++) {
      const response = await this.request("GET", path, RegistryClient.pull(repository));
      if (response.status === 404) {
        await response.body?.cancel();
        return tags;
      }
      if (!response.ok) return this.fail(response, `GET tags of ${repository}`);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
      path = next ? new URL(next, this.baseUrl).toString() : undefined;
    }
    return tags;
  }
}
