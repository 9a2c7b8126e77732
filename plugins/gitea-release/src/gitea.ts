import {
  type Access,
  GiteaCallFailed,
  GiteaConnection,
  type GiteaTarget,
  MAX_ANSWER_BYTES,
} from "@hangar/gitea";
import type { Logger } from "@hangar/kit";
import type { Attachment, Release } from "gitea-js";
import { streamAttachment } from "./upload.ts";

export { GiteaCallFailed, type GiteaTarget, isTransient } from "@hangar/gitea";

/** Releases and their assets need the repository scope; a 403 says so. */
const ACCESS: Access = { scope: "write:repository", what: "write releases" };

/** The Gitea calls gitea-release makes, each retried on transient failures and explained on the rest. */
export class GiteaReleases {
  readonly #gitea: GiteaConnection;
  readonly #target: GiteaTarget;

  constructor(gitea: GiteaConnection) {
    this.#gitea = gitea;
    this.#target = gitea.target;
  }

  static connect(target: GiteaTarget, log: Logger, fetchImpl: typeof fetch, signal?: AbortSignal) {
    return new GiteaReleases(new GiteaConnection(target, ACCESS, log, fetchImpl, signal));
  }

  get #api() {
    return this.#gitea.api;
  }

  /** The same client under another signal: clean-up after a cancel runs under the grace period's. */
  withSignal(signal: AbortSignal): GiteaReleases {
    return new GiteaReleases(this.#gitea.withSignal(signal));
  }

  /** A release by id, as it is now (its assets included). */
  async get(id: number): Promise<Release | undefined> {
    return this.#call(
      `reading release ${id}`,
      (signal) => this.#api.repos.repoGetRelease(this.#target.owner, this.#target.repo, id, { signal }),
      { notFound: true },
    );
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
    const pages = this.#gitea.pages(
      "listing draft releases",
      "releases",
      (query, signal) =>
        this.#api.repos.repoListReleases(
          this.#target.owner,
          this.#target.repo,
          { draft: true, ...query },
          { signal },
        ),
      { identify: (release) => release.id },
    );
    for await (const drafts of pages) {
      const found = drafts.find((release) => release.tag_name === tag);
      if (found) return found;
    }
    return undefined;
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
   * Streams a file from disk as an asset. An attempt whose answer was lost may have left a copy
   * behind; the run keeps the newest of each name once its uploads are done (converge.ts), which
   * also leaves alone the copies a parallel run uploads meanwhile.
   */
  async upload(id: number, name: string, file: string, sent?: (bytes: number) => void): Promise<Attachment> {
    const uploaded = await this.#call(
      `uploading ${name}`,
      async (signal) => {
        const { baseUrl, owner, repo, token } = this.#target;
        return streamAttachment({
          url: `${baseUrl}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/releases/${id}/assets`,
          token,
          file,
          name,
          signal,
          timeoutMs: this.#target.timeoutMs,
          maxAnswerBytes: MAX_ANSWER_BYTES,
          sent,
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
    const tags = await this.#gitea.all(
      "listing tags",
      "tags",
      (query, signal) =>
        this.#api.repos.repoListTags(this.#target.owner, this.#target.repo, query, { signal }),
      { identify: (tag) => tag.name },
    );
    return tags.map((tag) => ({ name: tag.name ?? "", sha: tag.commit?.sha ?? tag.id ?? "" }));
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

  #call<T>(
    what: string,
    request: (signal: AbortSignal, attempt: number) => Promise<{ data: T }>,
    options: { notFound?: boolean; streaming?: boolean } = {},
  ): Promise<T | undefined> {
    return this.#gitea.call(what, request, options);
  }
}
