import type { AttachmentRecord, ReleaseRecord } from "./releases.ts";
import type { CommitRecord, GitRepository, Person, TagRecord } from "./repository.ts";

// The JSON Gitea 1.22 writes for each object (services/convert), keys in the order of its Go
// structs. Go writes nil pointers and nil slices as null and zero times as 0001-01-01T00:00:00Z.

export interface GiteaUser {
  id: number;
  login: string;
  fullName: string;
  email: string;
  isAdmin: boolean;
}

export interface Site {
  /** ROOT_URL with its trailing slash, e.g. http://127.0.0.1:3000/ */
  appUrl: string;
  owner: GiteaUser;
  repo: string;
  private: boolean;
  git: GitRepository;
  created: Date;
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** Go's time.Time in JSON (RFC 3339) for Gitea's whole-second timestamps. */
export function goTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Go's url.PathEscape for one segment. */
export function pathEscape(segment: string): string {
  return [...Buffer.from(segment, "utf8")]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.~$&+:=@]/.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** util.PathEscapeSegments: escapes each segment, keeps the slashes. */
export const pathEscapeSegments = (path: string) => path.split("/").map(pathEscape).join("/");

export const repoHtmlUrl = (site: Site) =>
  `${site.appUrl}${pathEscape(site.owner.login)}/${pathEscape(site.repo)}`;
export const repoApiUrl = (site: Site) =>
  `${site.appUrl}api/v1/repos/${pathEscape(site.owner.login)}/${pathEscape(site.repo)}`;

/** convert.ToUser; `authed` (the caller is that user or an admin) shows the private fields. */
export function presentUser(site: Site, user: GiteaUser, viewer: GiteaUser | undefined) {
  const authed = viewer !== undefined && (viewer.id === user.id || viewer.isAdmin);
  return {
    id: user.id,
    login: user.login,
    login_name: "",
    source_id: 0,
    full_name: user.fullName,
    email: viewer ? user.email : `${user.login}@noreply.localhost`,
    avatar_url: `${site.appUrl}avatars/${user.id}`,
    html_url: `${site.appUrl}${pathEscape(user.login)}`,
    language: authed ? "en-US" : "",
    is_admin: authed ? user.isAdmin : false,
    last_login: authed ? goTime(site.created) : ZERO_TIME,
    created: goTime(site.created),
    restricted: false,
    active: authed,
    prohibit_login: false,
    location: "",
    website: "",
    description: "",
    visibility: "public",
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
  };
}

export function presentAttachment(site: Site, attachment: AttachmentRecord) {
  return {
    id: attachment.id,
    name: attachment.name,
    size: attachment.size,
    download_count: attachment.downloadCount,
    created_at: goTime(attachment.created),
    uuid: attachment.uuid,
    browser_download_url: `${site.appUrl}attachments/${pathEscape(attachment.uuid)}`,
  };
}

/** convert.ToAPIRelease: published_at is the same CreatedUnix as created_at. */
export function presentRelease(site: Site, release: ReleaseRecord, viewer: GiteaUser | undefined) {
  const url = `${repoApiUrl(site)}/releases/${release.id}`;
  const tag = pathEscapeSegments(release.tagName);
  return {
    id: release.id,
    tag_name: release.tagName,
    target_commitish: release.target,
    name: release.title,
    body: release.note,
    url,
    html_url: `${repoHtmlUrl(site)}/releases/tag/${tag}`,
    tarball_url: `${repoHtmlUrl(site)}/archive/${tag}.tar.gz`,
    zipball_url: `${repoHtmlUrl(site)}/archive/${tag}.zip`,
    upload_url: `${url}/assets`,
    draft: release.isDraft,
    prerelease: release.isPrerelease,
    created_at: goTime(release.created),
    published_at: goTime(release.created),
    author: presentUser(site, site.owner, viewer),
    assets: release.attachments.map((each) => presentAttachment(site, each)),
  };
}

/** convert.ToTag: for a lightweight tag the id is the commit and the message the commit's. */
export function presentTag(site: Site, tag: TagRecord) {
  const commit = site.git.commits.get(tag.commit);
  const id = tag.annotated?.id ?? tag.commit;
  const html = repoHtmlUrl(site);
  return {
    name: tag.name,
    message: (tag.annotated?.message ?? commit?.message ?? "").trim(),
    id,
    commit: {
      url: `${repoApiUrl(site)}/git/commits/${id}`,
      sha: tag.commit,
      created: goTime(tag.annotated?.date ?? commit?.date ?? site.created),
    },
    zipball_url: `${html}/archive/${pathEscape(tag.name)}.zip`,
    tarball_url: `${html}/archive/${pathEscape(tag.name)}.tar.gz`,
  };
}

function commitUser(person: Person, date: Date) {
  return { name: person.name, email: person.email, date: goTime(date) };
}

/** convert.ToCommit; `author`/`committer` are Gitea users matched by e-mail, else null. */
export function presentCommit(
  site: Site,
  commit: CommitRecord,
  viewer: GiteaUser | undefined,
  options: { stat: boolean; files: boolean; verification: boolean },
) {
  const api = repoApiUrl(site);
  const asUser = (person: Person) =>
    person.email.toLowerCase() === site.owner.email.toLowerCase()
      ? presentUser(site, site.owner, viewer)
      : null;
  return {
    url: `${api}/git/commits/${commit.sha}`,
    sha: commit.sha,
    created: goTime(commit.date),
    html_url: `${repoHtmlUrl(site)}/commit/${commit.sha}`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: commitUser(commit.author, commit.date),
      committer: commitUser(commit.committer, commit.date),
      message: commit.message,
      tree: { url: `${api}/git/trees/${commit.tree}`, sha: commit.tree, created: goTime(commit.date) },
      verification: options.verification
        ? { verified: false, reason: "gpg.error.not_signed_commit", signature: "", signer: null, payload: "" }
        : null,
    },
    author: asUser(commit.author),
    committer: asUser(commit.committer),
    parents: commit.parents.map((sha) => ({ url: `${api}/git/commits/${sha}`, sha, created: ZERO_TIME })),
    files: options.files
      ? commit.files.map((file) => ({ filename: file.filename, status: file.status }))
      : null,
    stats: options.stat ? { total: 0, additions: 0, deletions: 0 } : null,
  };
}

export function presentReference(site: Site, ref: { ref: string; type: string; sha: string }) {
  const api = repoApiUrl(site);
  return {
    ref: ref.ref,
    url: `${api}/git/${pathEscapeSegments(ref.ref)}`,
    object: {
      type: ref.type,
      sha: ref.sha,
      url: `${api}/git/${pathEscape(ref.type)}s/${pathEscape(ref.sha)}`,
    },
  };
}

/** convert.ToRepo for the stand-in's one repository. */
export function presentRepository(site: Site, viewer: GiteaUser | undefined, releaseCount: number) {
  const html = repoHtmlUrl(site);
  const host = new URL(site.appUrl).hostname;
  const owner = viewer?.id === site.owner.id || viewer?.isAdmin === true;
  return {
    id: 1,
    owner: presentUser(site, site.owner, viewer),
    name: site.repo,
    full_name: `${site.owner.login}/${site.repo}`,
    description: "",
    empty: site.git.isEmpty,
    private: site.private,
    fork: false,
    template: false,
    parent: null,
    mirror: false,
    size: 0,
    language: "",
    languages_url: `${repoApiUrl(site)}/languages`,
    html_url: html,
    url: repoApiUrl(site),
    link: "",
    ssh_url: `git@${host}:${site.owner.login}/${site.repo}.git`,
    clone_url: `${html}.git`,
    original_url: "",
    website: "",
    stars_count: 0,
    forks_count: 0,
    watchers_count: 1,
    open_issues_count: 0,
    open_pr_counter: 0,
    release_counter: releaseCount,
    default_branch: site.git.defaultBranch,
    archived: false,
    created_at: goTime(site.created),
    updated_at: goTime(site.created),
    archived_at: "1970-01-01T00:00:00Z",
    permissions: { admin: owner, push: owner, pull: true },
    has_issues: true,
    internal_tracker: {
      enable_time_tracker: true,
      allow_only_contributors_to_track_time: true,
      enable_issue_dependencies: true,
    },
    has_wiki: true,
    has_pull_requests: true,
    has_projects: true,
    projects_mode: "all",
    has_releases: true,
    has_packages: true,
    has_actions: false,
    ignore_whitespace_conflicts: false,
    allow_merge_commits: true,
    allow_rebase: true,
    allow_rebase_explicit: true,
    allow_squash_merge: true,
    allow_fast_forward_only_merge: true,
    allow_rebase_update: true,
    default_delete_branch_after_merge: false,
    default_merge_style: "merge",
    default_allow_maintainer_edit: false,
    avatar_url: "",
    internal: false,
    mirror_interval: "",
    object_format_name: "sha1",
    mirror_updated: ZERO_TIME,
    repo_transfer: null,
  };
}
