import { createHash } from "node:crypto";

// The git side of the stand-in's one repository: commits, branches and tags, seeded from the
// options and grown only by publishing releases (which creates their tags, as Gitea does).

export interface Person {
  name: string;
  email: string;
}

export interface CommitRecord {
  sha: string;
  tree: string;
  message: string;
  author: Person;
  committer: Person;
  date: Date;
  parents: string[];
  files: { filename: string; status: string }[];
  /** Order of creation, for stable sorting of commits with equal dates. */
  seq: number;
}

export interface TagRecord {
  name: string;
  /** The tagged commit. */
  commit: string;
  /** Present for annotated tags: the tag object. */
  annotated?: { id: string; message: string; tagger: Person; date: Date };
}

export interface GiteaSeedCommit {
  /** 40 hex digits; derived from the message and position when absent. */
  sha?: string;
  message: string;
  author?: Person;
  /** Default: one minute after the previous commit. */
  date?: string | Date;
  /** Default: the previous commit in the list (a linear history). */
  parents?: string[];
  /** Paths the commit touched (status "modified" unless given). */
  files?: (string | { filename: string; status: string })[];
}

export interface GiteaSeedTag {
  name: string;
  /** A commit sha (or unique prefix), branch or other tag. Default: the default branch. */
  target?: string;
  /** Makes it an annotated tag with this message. */
  message?: string;
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

export const DEFAULT_COMMITS: readonly GiteaSeedCommit[] = [
  { message: "Initial commit\n" },
  { message: "feat: first feature\n" },
  { message: "fix: first bug\n" },
];

export class GitRepository {
  readonly defaultBranch: string;
  readonly branches = new Map<string, string>();
  readonly commits = new Map<string, CommitRecord>();
  readonly tags = new Map<string, TagRecord>();

  constructor(options: {
    defaultBranch: string;
    commits: readonly GiteaSeedCommit[];
    branches?: Record<string, string>;
    tags?: readonly GiteaSeedTag[];
    author: Person;
  }) {
    this.defaultBranch = options.defaultBranch;
    let previous: CommitRecord | undefined;
    let clock = Date.parse("2024-05-01T10:00:00Z");
    options.commits.forEach((seed, index) => {
      const sha = seed.sha?.toLowerCase() ?? sha1(`hangar commit ${index}\n${seed.message}`);
      if (!/^[0-9a-f]{40}$/.test(sha))
        throw new Error(`seed commit ${index}: sha ${seed.sha} is not 40 hex digits`);
      clock = seed.date ? new Date(seed.date).getTime() : clock + 60_000;
      const date = new Date(Math.floor(clock / 1000) * 1000);
      const author = seed.author ?? options.author;
      const commit: CommitRecord = {
        sha,
        tree: sha1(`tree ${sha}`),
        message: seed.message,
        author,
        committer: author,
        date,
        parents: seed.parents ?? (previous ? [previous.sha] : []),
        files: (seed.files ?? []).map((file) =>
          typeof file === "string" ? { filename: file, status: "modified" } : file,
        ),
        seq: index,
      };
      this.commits.set(sha, commit);
      previous = commit;
    });
    for (const commit of this.commits.values()) {
      for (const parent of commit.parents) {
        if (!this.commits.has(parent)) throw new Error(`seed commit ${commit.sha}: unknown parent ${parent}`);
      }
    }
    if (previous) this.branches.set(this.defaultBranch, previous.sha);
    for (const [branch, target] of Object.entries(options.branches ?? {})) {
      const commit = this.resolve(target);
      if (!commit) throw new Error(`seed branch ${branch}: ${target} is not a commit`);
      this.branches.set(branch, commit.sha);
    }
    for (const tag of options.tags ?? [])
      this.createTag(tag.name, tag.target ?? this.defaultBranch, tag.message);
  }

  get isEmpty(): boolean {
    return this.commits.size === 0;
  }

  /** Like `git rev-parse`: a branch, a tag, a full sha or an unambiguous prefix of 4+ digits. */
  resolve(ref: string): CommitRecord | undefined {
    const branch = this.branches.get(ref);
    if (branch) return this.commits.get(branch);
    const tag = this.tags.get(ref);
    if (tag) return this.commits.get(tag.commit);
    const lower = ref.toLowerCase();
    if (!/^[0-9a-f]{4,40}$/.test(lower)) return undefined;
    const found = [...this.commits.keys()].filter((sha) => sha.startsWith(lower));
    return found.length === 1 && found[0] ? this.commits.get(found[0]) : undefined;
  }

  createTag(name: string, target: string, message?: string): TagRecord {
    if (this.tags.has(name)) throw new Error(`tag ${name} already exists`);
    const commit = this.resolve(target);
    if (!commit) throw new Error(`tag ${name}: ${target} is not a commit`);
    const tag: TagRecord = { name, commit: commit.sha };
    if (message !== undefined) {
      tag.annotated = {
        id: sha1(`tag ${name}\n${message}`),
        message,
        tagger: commit.committer,
        date: commit.date,
      };
    }
    this.tags.set(name, tag);
    return tag;
  }

  /** Commits reachable from `head` and not from `exclude`, newest first (like `git log exclude..head`). */
  log(head: CommitRecord, exclude?: CommitRecord): CommitRecord[] {
    const hidden = exclude ? this.#reachable(exclude) : new Set<string>();
    return [...this.#reachable(head)]
      .filter((sha) => !hidden.has(sha))
      .map((sha) => this.commits.get(sha))
      .filter((commit): commit is CommitRecord => commit !== undefined)
      .sort((a, b) => b.date.getTime() - a.date.getTime() || b.seq - a.seq);
  }

  #reachable(from: CommitRecord): Set<string> {
    const seen = new Set<string>();
    const queue = [from.sha];
    for (let sha = queue.pop(); sha !== undefined; sha = queue.pop()) {
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(this.commits.get(sha)?.parents ?? []));
    }
    return seen;
  }

  /** Tags newest first by the date of what they point at (Gitea sorts by -*creatordate), then by name. */
  sortedTags(): TagRecord[] {
    const dateOf = (tag: TagRecord) =>
      tag.annotated?.date.getTime() ?? this.commits.get(tag.commit)?.date.getTime() ?? 0;
    return [...this.tags.values()].sort((a, b) => dateOf(b) - dateOf(a) || b.name.localeCompare(a.name));
  }

  /** `git for-each-ref` over heads and tags, sorted by ref name. */
  refs(): { ref: string; type: "commit" | "tag"; sha: string }[] {
    const heads = [...this.branches].map(([name, sha]) => ({
      ref: `refs/heads/${name}`,
      type: "commit" as const,
      sha,
    }));
    const tags = [...this.tags.values()].map((tag) =>
      tag.annotated
        ? { ref: `refs/tags/${tag.name}`, type: "tag" as const, sha: tag.annotated.id }
        : { ref: `refs/tags/${tag.name}`, type: "commit" as const, sha: tag.commit },
    );
    return [...heads, ...tags].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  }
}
