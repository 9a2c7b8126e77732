import { HangarError, type Logger, retry } from "@hangar/kit";
import { type Attachment, giteaApi, type Release } from "gitea-js";
import { streamAttachment } from "./upload.ts";

/** The Gitea calls gitea-release makes, each retried on transient failures and explained on the rest. */
export interface GiteaTarget {
  baseUrl: string;
  owner: string;
  repo: string;
  token: string;
  timeoutMs: number;
}

/** A failed call: the HTTP status (none for a network failure) and Gitea's message. */
export class GiteaCallFailed extends HangarError {
  readonly status: number | undefined;

  /** A TLS failure: the certificate will not change on another try. */
  readonly tls: boolean;

  constructor(what: string, status: number | undefined, message: string, hint?: string, tls = false) {
    super(
      tls ? "E_GITEA_TLS" : status === undefined ? "E_GITEA_UNREACHABLE" : `E_GITEA_${status}`,
      `${what}: ${status ?? "no answer"} ${message}`.trim(),
      {
        ...(hint ? { hint } : {}),
      },
    );
    this.name = "GiteaCallFailed";
    this.status = status;
    this.tls = tls;
  }
}

const PAGE_SIZE = 50;

/** 429 and 5xx (but 501) may pass on another try, and so may a connection that failed. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof GiteaCallFailed) || error.tls) return false;
  return error.status === undefined || error.status === 429 || (error.status >= 500 && error.status !== 501);
}

export class GiteaReleases {
  readonly #api: ReturnType<typeof giteaApi>;
  readonly #target: GiteaTarget;
  readonly #log: Logger;
  readonly #signal: AbortSignal | undefined;

  constructor(target: GiteaTarget, log: Logger, fetchImpl: typeof fetch, signal?: AbortSignal) {
    this.#target = target;
    this.#log = log;
    this.#signal = signal;
    this.#api = giteaApi(target.baseUrl, { token: target.token, customFetch: fetchImpl });
  }

  /** The release of a tag, published or draft, or undefined. Never judged from one page of a list. */
  async findByTag(tag: string): Promise<Release | undefined> {
    const published = await this.#call(
      `looking up the release of tag ${tag}`,
      (signal) => this.#api.repos.repoGetReleaseByTag(this.#target.owner, this.#target.repo, tag, { signal }),
      { notFound: true },
    );
    if (published) return published;
    // Drafts have no tag yet, so the tag lookup cannot see them: page through the drafts.
    for (let page = 1; ; page++) {
      const drafts = await this.#call(`listing draft releases (page ${page})`, (signal) =>
        this.#api.repos.repoListReleases(
          this.#target.owner,
          this.#target.repo,
          { draft: true, page, limit: PAGE_SIZE },
          { signal },
        ),
      );
      const found = drafts?.find((release) => release.tag_name === tag);
      if (found) return found;
      if (!drafts || drafts.length < PAGE_SIZE) return undefined;
    }
  }

  async create(input: {
    tag: string;
    target: string;
    title: string;
    note: string;
    prerelease: boolean;
  }): Promise<Release> {
    const created = await this.#call(`creating the draft release ${input.tag}`, (signal) =>
      this.#api.repos.repoCreateRelease(
        this.#target.owner,
        this.#target.repo,
        {
          tag_name: input.tag,
          target_commitish: input.target,
          name: input.title,
          body: input.note,
          draft: true,
          prerelease: input.prerelease,
        },
        { signal },
      ),
    );
    if (!created)
      throw new GiteaCallFailed(`creating the draft release ${input.tag}`, undefined, "empty answer");
    return created;
  }

  async edit(
    id: number,
    changes: { title?: string; note?: string; prerelease?: boolean; draft?: boolean },
  ): Promise<Release> {
    const body = {
      ...(changes.title !== undefined ? { name: changes.title } : {}),
      ...(changes.note !== undefined ? { body: changes.note } : {}),
      ...(changes.prerelease !== undefined ? { prerelease: changes.prerelease } : {}),
      ...(changes.draft !== undefined ? { draft: changes.draft } : {}),
    };
    const edited = await this.#call(`updating release ${id}`, (signal) =>
      this.#api.repos.repoEditRelease(this.#target.owner, this.#target.repo, id, body, { signal }),
    );
    if (!edited) throw new GiteaCallFailed(`updating release ${id}`, undefined, "empty answer");
    return edited;
  }

  async assets(id: number): Promise<Attachment[]> {
    return (
      (await this.#call(`listing the assets of release ${id}`, (signal) =>
        this.#api.repos.repoListReleaseAttachments(this.#target.owner, this.#target.repo, id, { signal }),
      )) ?? []
    );
  }

  /**
   * Streams a file from disk as an asset. A retried upload first removes what an attempt whose
   * answer was lost may have left, so a retry never leaves two copies.
   */
  async upload(id: number, name: string, file: string, keep: ReadonlySet<number>): Promise<Attachment> {
    const uploaded = await this.#call(
      `uploading ${name}`,
      async (signal, attempt) => {
        if (attempt > 1) {
          for (const stray of (await this.assets(id)).filter(
            (asset) => asset.name === name && !keep.has(asset.id ?? -1),
          )) {
            await this.remove(id, stray.id ?? -1, name);
          }
        }
        const { baseUrl, owner, repo, token } = this.#target;
        return streamAttachment({
          url: `${baseUrl}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/releases/${id}/assets`,
          token,
          file,
          name,
          signal,
        });
      },
      { streaming: true },
    );
    if (!uploaded) throw new GiteaCallFailed(`uploading ${name}`, undefined, "empty answer");
    return uploaded;
  }

  async remove(id: number, attachmentId: number, name: string): Promise<void> {
    await this.#call(
      `deleting the old ${name}`,
      (signal) =>
        this.#api.repos.repoDeleteReleaseAttachment(this.#target.owner, this.#target.repo, id, attachmentId, {
          signal,
        }),
      { notFound: true },
    );
  }

  async deleteRelease(id: number): Promise<void> {
    await this.#call(
      `deleting release ${id}`,
      (signal) => this.#api.repos.repoDeleteRelease(this.#target.owner, this.#target.repo, id, { signal }),
      { notFound: true },
    );
  }

  /** Tags, newest first as Gitea lists them, all pages. */
  async tags(): Promise<{ name: string; sha: string }[]> {
    const all: { name: string; sha: string }[] = [];
    for (let page = 1; ; page++) {
      const tags = await this.#call(`listing tags (page ${page})`, (signal) =>
        this.#api.repos.repoListTags(
          this.#target.owner,
          this.#target.repo,
          { page, limit: PAGE_SIZE },
          { signal },
        ),
      );
      for (const tag of tags ?? []) all.push({ name: tag.name ?? "", sha: tag.commit?.sha ?? tag.id ?? "" });
      if (!tags || tags.length < PAGE_SIZE) return all;
    }
  }

  /** The branch Gitea creates a new tag on when no target is given. */
  async defaultBranch(): Promise<string> {
    const repository = await this.#call(`reading ${this.#target.owner}/${this.#target.repo}`, (signal) =>
      this.#api.repos.repoGet(this.#target.owner, this.#target.repo, { signal }),
    );
    return repository?.default_branch || "main";
  }

  /** The commits in `base...head`, oldest first. */
  async compare(base: string, head: string): Promise<{ sha: string; message: string }[]> {
    const compared = await this.#call(`comparing ${base}...${head}`, (signal) =>
      this.#api.repos.repoCompareDiff(this.#target.owner, this.#target.repo, `${base}...${head}`, { signal }),
    );
    return (compared?.commits ?? []).map((commit) => ({
      sha: commit.sha ?? "",
      message: commit.commit?.message ?? "",
    }));
  }

  /** One call with retries; a 404 is `undefined` where the caller expects it, any other failure explained. */
  async #call<T>(
    what: string,
    request: (signal: AbortSignal | undefined, attempt: number) => Promise<{ data: T }>,
    options: { notFound?: boolean; streaming?: boolean } = {},
  ): Promise<T | undefined> {
    return retry(
      async (attempt) => {
        // Uploads may stream for long; only the parent signal (a cancelled step) stops them.
        const timeout = options.streaming ? undefined : AbortSignal.timeout(this.#target.timeoutMs);
        const signals = [timeout, this.#signal].filter(
          (signal): signal is AbortSignal => signal !== undefined,
        );
        const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
        try {
          return (await request(signal, attempt)).data;
        } catch (error) {
          const failure = await this.#explain(what, error, timeout?.aborted === true);
          if (failure.status === 404 && options.notFound) return undefined;
          throw failure;
        }
      },
      {
        what,
        attempts: 4,
        minDelayMs: 500,
        retryable: isTransient,
        onRetry: (message) => this.#log.warn(message),
        ...(this.#signal ? { signal: this.#signal } : {}),
      },
    );
  }

  async #explain(what: string, error: unknown, timedOut: boolean): Promise<GiteaCallFailed> {
    if (error instanceof GiteaCallFailed) return error;
    if (error instanceof Response) {
      const body = (error as Response & { error?: unknown }).error;
      // gitea-js leaves the JSON parser's error there when the answer was a proxy's HTML page.
      const message =
        body && typeof body === "object" && !(body instanceof Error) && "message" in body
          ? String((body as { message: unknown }).message)
          : error.statusText;
      return new GiteaCallFailed(what, error.status, message, hintFor(error.status, message, this.#target));
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = timedOut
      ? `timed out after ${this.#target.timeoutMs / 1000}s`
      : (cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)));
    const source = cause ?? (error as { code?: string; message?: string });
    const tls = /certificate|self[- ]signed|CERT_|ERR_TLS/i.test(
      `${source?.message ?? ""} ${source?.code ?? ""}`,
    );
    return new GiteaCallFailed(
      what,
      undefined,
      `(${reason}) from ${this.#target.baseUrl}`,
      tls
        ? "Trust Gitea's CA with `ca_cert` (or, last resort, `insecure: true`)."
        : "Check `base_url` and that the runner can reach Gitea.",
      tls,
    );
  }
}

/** What to change for the 4xx answers a user can act on. */
function hintFor(status: number, message: string, target: GiteaTarget): string | undefined {
  switch (status) {
    case 401:
      return "The token is missing, wrong or expired: check `api_key` (the secret behind `from_secret`).";
    case 403:
      return `The token's user cannot write releases in ${target.owner}/${target.repo}: it needs the write:repository scope and write access to the repository.`;
    case 404:
      return `Check \`owner\`/\`repo\` (${target.owner}/${target.repo}) and \`base_url\` (${target.baseUrl}).`;
    case 400:
      return /type|allowed/i.test(message)
        ? "Gitea refuses this file type: allow it in app.ini, [repository.release] ALLOWED_TYPES (empty allows every type), then restart Gitea."
        : undefined;
    case 413:
      return "The file is over a size limit: raise [attachment] MAX_SIZE (MiB) in Gitea's app.ini, and client_max_body_size (or the like) in a reverse proxy in front of it.";
    case 422:
      return "Gitea refused the request's fields; the message above names the one.";
    default:
      return undefined;
  }
}
