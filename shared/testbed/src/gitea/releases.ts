import type { GitRepository } from "./repository.ts";

/** An answer Gitea gives instead of the result: `notFound` uses the 404 shape with `errors`. */
export class GiteaError extends Error {
  readonly status: number;
  readonly kind: "api" | "notFound";

  constructor(status: number, message: string, kind: "api" | "notFound" = "api") {
    super(message);
    this.name = "GiteaError";
    this.status = status;
    this.kind = kind;
  }
}

export interface AttachmentRecord {
  id: number;
  uuid: string;
  name: string;
  size: number;
  sha256: string;
  /** Where the bytes are on disk. */
  path: string;
  created: Date;
  downloadCount: number;
  releaseId: number;
}

export interface ReleaseRecord extends ReleaseInput {
  id: number;
  /** A row for a plain git tag (Gitea keeps one per pushed tag); not a release to the API. */
  isTag: boolean;
  /** Gitea's CreatedUnix: whole seconds, reset whenever a draft is saved and when its tag is created. */
  created: Date;
  attachments: AttachmentRecord[];
}

export type GiteaEventType =
  | "release.created"
  | "release.updated"
  | "release.published"
  | "release.deleted"
  | "tag.created"
  | "asset.uploaded"
  | "asset.renamed"
  | "asset.deleted"
  | "asset.downloaded";

export interface GiteaEvent {
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  type: GiteaEventType;
  releaseId?: number;
  tag?: string;
  /** The release's draft flag right after the event. */
  draft?: boolean;
  asset?: string;
  assetId?: number;
}

export interface ReleaseInput {
  tagName: string;
  target: string;
  title: string;
  note: string;
  isDraft: boolean;
  isPrerelease: boolean;
}

const now = () => new Date(Math.floor(Date.now() / 1000) * 1000);

/** Release rows and their attachments, with Gitea 1.22's rules for tags, drafts and conflicts. */
export class ReleaseStore {
  readonly rows: ReleaseRecord[] = [];
  readonly events: GiteaEvent[] = [];
  readonly #git: GitRepository;
  #nextRelease = 1;
  #nextAttachment = 1;

  constructor(git: GitRepository) {
    this.#git = git;
    for (const tag of git.sortedTags().reverse())
      this.#tagRow(tag.name, git.commits.get(tag.commit)?.date ?? now());
  }

  emit(type: GiteaEventType, release?: ReleaseRecord, asset?: AttachmentRecord): void {
    const event: GiteaEvent = { seq: this.events.length + 1, at: Date.now(), type };
    if (release)
      Object.assign(event, { releaseId: release.id, tag: release.tagName, draft: release.isDraft });
    if (asset) Object.assign(event, { asset: asset.name, assetId: asset.id });
    this.events.push(event);
  }

  #tagRow(tagName: string, created: Date): ReleaseRecord {
    const row: ReleaseRecord = {
      id: this.#nextRelease++,
      tagName,
      target: "",
      title: tagName,
      note: "",
      isDraft: false,
      isPrerelease: false,
      isTag: true,
      created,
      attachments: [],
    };
    this.rows.push(row);
    return row;
  }

  /** Gitea's GetRelease: by tag name, case-insensitively, tag rows included. */
  byTag(tagName: string): ReleaseRecord | undefined {
    const lower = tagName.toLowerCase();
    return this.rows.find((row) => row.tagName.toLowerCase() === lower);
  }

  byId(id: number): ReleaseRecord | undefined {
    return this.rows.find((row) => row.id === id);
  }

  /**
   * services/release createTag: a draft gets no tag (only a fresh CreatedUnix); publishing creates
   * the tag at the target when it does not exist yet and stamps CreatedUnix again.
   */
  #createTag(release: ReleaseRecord, notFoundStatus: number): void {
    if (release.isDraft) {
      release.created = now();
      return;
    }
    if (this.#git.tags.has(release.tagName)) return;
    const commit = this.#git.resolve(release.target);
    if (!commit) {
      const cause = `object does not exist [id: ${release.target}, rel_path: ]`;
      // 1.22.3+ answers a create with an unknown target with 404 (go-gitea/gitea#31841, backported
      // in #32043); an edit that publishes a draft with a bad target still ends in a 500.
      throw notFoundStatus === 404
        ? new GiteaError(404, `target "${release.target}" not found: ${cause}`)
        : new GiteaError(500, `createTag::GetCommit[${release.target}]: ${cause}`);
    }
    this.#git.createTag(release.tagName, commit.sha);
    release.created = now();
    this.emit("tag.created", release);
  }

  /** POST /releases (routers/api/v1/repo/release.go CreateRelease). */
  create(input: ReleaseInput, defaultBranch: string): ReleaseRecord {
    const existing = this.byTag(input.tagName);
    if (existing && !existing.isTag) throw new GiteaError(409, "Release is has no Tag");
    if (existing) {
      // A tag without a release becomes the release; note that Gitea takes target_commitish as
      // given here (even empty) instead of defaulting it to the default branch.
      const previous = { ...existing };
      Object.assign(existing, { ...input, isTag: false });
      this.#tagOrRestore(existing, previous);
      return this.#created(existing);
    }
    const release: ReleaseRecord = {
      id: 0, // the row is inserted (and numbered) only once its tag could be created
      ...input,
      target: input.target || defaultBranch,
      isTag: false,
      created: now(),
      attachments: [],
    };
    release.id = this.#nextRelease;
    this.#createTag(release, 404);
    this.#nextRelease += 1;
    this.rows.push(release);
    return this.#created(release);
  }

  #created(release: ReleaseRecord): ReleaseRecord {
    this.emit("release.created", release);
    if (!release.isDraft) this.emit("release.published", release);
    return release;
  }

  /** Creates the release's tag (500 when it cannot), or puts the row back as it was before the change. */
  #tagOrRestore(release: ReleaseRecord, previous: ReleaseRecord): void {
    try {
      this.#createTag(release, 500);
    } catch (error) {
      Object.assign(release, previous);
      throw error;
    }
  }

  /** PATCH /releases/{id}: empty strings leave a field as it was, as in EditRelease. */
  update(release: ReleaseRecord, changes: Partial<ReleaseInput>): ReleaseRecord {
    const wasDraft = release.isDraft;
    const previous = { ...release };
    if (changes.tagName) {
      const clash = this.byTag(changes.tagName);
      if (clash && clash !== release) {
        throw new GiteaError(500, `UNIQUE constraint failed: release.repo_id, release.tag_name`);
      }
      release.tagName = changes.tagName;
    }
    if (changes.target) release.target = changes.target;
    if (changes.title) release.title = changes.title;
    if (changes.note) release.note = changes.note;
    if (changes.isDraft !== undefined) release.isDraft = changes.isDraft;
    if (changes.isPrerelease !== undefined) release.isPrerelease = changes.isPrerelease;
    this.#tagOrRestore(release, previous);
    this.emit("release.updated", release);
    if (wasDraft && !release.isDraft) this.emit("release.published", release);
    return release;
  }

  /** DELETE /releases/{id}: the row turns back into a tag row; its attachments are gone. */
  remove(release: ReleaseRecord): AttachmentRecord[] {
    const gone = release.attachments;
    release.attachments = [];
    release.isTag = true;
    this.emit("release.deleted", release);
    return gone;
  }

  addAttachment(
    release: ReleaseRecord,
    file: Omit<AttachmentRecord, "id" | "created" | "downloadCount" | "releaseId">,
  ) {
    const attachment: AttachmentRecord = {
      ...file,
      id: this.#nextAttachment++,
      created: now(),
      downloadCount: 0,
      releaseId: release.id,
    };
    release.attachments.push(attachment);
    this.emit("asset.uploaded", release, attachment);
    return attachment;
  }

  attachmentByUuid(uuid: string): { release: ReleaseRecord; attachment: AttachmentRecord } | undefined {
    for (const release of this.rows) {
      const attachment = release.attachments.find((each) => each.uuid === uuid);
      if (attachment) return { release, attachment };
    }
    return undefined;
  }

  /** Gitea's FindReleasesOptions order: created_unix DESC, id DESC; tag rows never listed. */
  list(filter: { includeDrafts: boolean; draft?: boolean; prerelease?: boolean }): ReleaseRecord[] {
    return this.rows
      .filter((row) => !row.isTag)
      .filter((row) => filter.includeDrafts || !row.isDraft)
      .filter((row) => filter.draft === undefined || row.isDraft === filter.draft)
      .filter((row) => filter.prerelease === undefined || row.isPrerelease === filter.prerelease)
      .sort((a, b) => b.created.getTime() - a.created.getTime() || b.id - a.id);
  }
}
