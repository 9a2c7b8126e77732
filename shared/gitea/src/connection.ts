import type { Logger } from "@hangar/kit";
import type { giteaApi } from "gitea-js";
import { boundedFetch } from "./bounded-answer.ts";
import { boundedCall } from "./call.ts";
import { type Access, GiteaCallFailed } from "./failure.ts";
import { type PagingOptions, pagesOf } from "./paging.ts";

/** Where the repository is, the token, and how long one call (retries included) may take. */
export interface GiteaTarget {
  baseUrl: string;
  owner: string;
  repo: string;
  token: string;
  timeoutMs: number;
}

export type GiteaApi = ReturnType<typeof giteaApi>;

export interface CallOptions {
  /** A 404 is `undefined` instead of an error: the caller asked whether something exists. */
  notFound?: boolean;
  /** An upload that bounds itself (see call.ts). */
  streaming?: boolean;
}

/**
 * gitea-js, made on the first call: most of the code a Gitea plugin ships, which a dry run or a
 * settings error never needs. Connections derived with `withSignal` share it.
 */
class LazyApi {
  value: GiteaApi | undefined;
  #loading: Promise<GiteaApi> | undefined;
  readonly #make: () => Promise<GiteaApi>;

  constructor(make: () => Promise<GiteaApi>) {
    this.#make = make;
  }

  load(): Promise<GiteaApi> {
    this.#loading ??= this.#make().then((api) => {
      this.value = api;
      return api;
    });
    return this.#loading;
  }
}

/**
 * One Gitea repository through gitea-js: every call bounded by `timeout` with its retries
 * (call.ts), its answer read up to a size cap (bounded-answer.ts), and its failure explained
 * (failure.ts), a 403 naming the scope `access` says the calls need.
 */
export class GiteaConnection {
  readonly target: GiteaTarget;
  readonly #api: LazyApi;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  readonly #signal: AbortSignal | undefined;
  readonly #access: Access;

  constructor(
    target: GiteaTarget,
    access: Access,
    log: Logger,
    fetchImpl: typeof fetch,
    signal?: AbortSignal,
    api?: LazyApi,
  ) {
    this.target = target;
    this.#access = access;
    this.#log = log;
    this.#fetch = fetchImpl;
    this.#signal = signal;
    this.#api =
      api ??
      new LazyApi(async () => {
        const { giteaApi } = await import("gitea-js");
        return giteaApi(target.baseUrl, { token: target.token, customFetch: boundedFetch(fetchImpl) });
      });
  }

  /** The gitea-js client, for the request of a `call` (which loads it first). */
  get api(): GiteaApi {
    const api = this.#api.value;
    if (api === undefined)
      throw new Error("the Gitea client is loaded by the first call: use it in a call's request");
    return api;
  }

  /** The same connection under another signal: clean-up after a cancel runs under the grace period's. */
  withSignal(signal: AbortSignal): GiteaConnection {
    return new GiteaConnection(this.target, this.#access, this.#log, this.#fetch, signal, this.#api);
  }

  /** One call, bounded with its retries; a 404 is `undefined` where the caller expects it. */
  async call<T>(
    what: string,
    request: (signal: AbortSignal, attempt: number) => Promise<{ data: T }>,
    options: CallOptions = {},
  ): Promise<T | undefined> {
    const limits = { ...this.target, access: this.#access, log: this.#log, signal: this.#signal };
    await this.#api.load();
    try {
      return await boundedCall(
        what,
        async (signal, attempt) => (await request(signal, attempt)).data,
        limits,
        options.streaming ? { streaming: true } : {},
      );
    } catch (error) {
      if (options.notFound && error instanceof GiteaCallFailed && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * The pages of a list of this repository (`path` under it: `issues`, `labels`), each page one
   * bounded call, the whole bounded in pages (paging.ts).
   */
  pages<T>(
    what: string,
    path: string,
    request: (query: { page: number; limit: number }, signal: AbortSignal) => Promise<{ data: T[] }>,
    options: PagingOptions<T> = {},
  ): AsyncGenerator<T[]> {
    const { owner, repo } = this.target;
    const endpoint = `GET /api/v1/repos/${owner}/${repo}/${path}`;
    return pagesOf(
      what,
      endpoint,
      (page, limit) => this.call(`${what} (page ${page})`, (signal) => request({ page, limit }, signal)),
      this.#log,
      options,
    );
  }

  /** Every item of a list of this repository (see `pages`). */
  async all<T>(
    what: string,
    path: string,
    request: (query: { page: number; limit: number }, signal: AbortSignal) => Promise<{ data: T[] }>,
    options: PagingOptions<T> = {},
  ): Promise<T[]> {
    const all: T[] = [];
    for await (const items of this.pages(what, path, request, options)) all.push(...items);
    return all;
  }

  /** A call whose answer must have a body: an empty one is a failure, not `undefined`. */
  async required<T>(
    what: string,
    request: (signal: AbortSignal, attempt: number) => Promise<{ data: T }>,
    options: Omit<CallOptions, "notFound"> = {},
  ): Promise<T> {
    const answer = await this.call(what, request, options);
    if (answer === undefined || answer === null) throw new GiteaCallFailed(what, undefined, "empty answer");
    return answer;
  }
}
