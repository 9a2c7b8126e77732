import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and check.ts read them, and the context they are read in. */
export type Settings = SettingsOf<GiteaReleaseSchema>;
export type Context = PlanContext<GiteaReleaseSchema>;

/**
 * Every setting of gitea-release. Names follow drone-plugins/drone-gitea-release where the two
 * overlap (`api_key`, `base_url`, `files`, `file_exists`, `checksum`, `draft`, `prerelease`,
 * `title`, `note`, `insecure`), so an existing step keeps working when only its image changes.
 * Its unprefixed variables (`GITEA_RELEASE_API_KEY`, `GITEA_RELEASE_FILES` …) are read as well,
 * in the order its main.go declares them.
 */

export const CHECKSUMS = ["sha256", "sha512", "sha1", "md5", "adler32", "crc32"] as const;

/**
 * drone-gitea-release's default checksum file names: `md5sum.txt`, `sha256sum.txt`,
 * `adler32sum.txt` … one per algorithm.
 */
export const DEFAULT_CHECKSUM_FILE = "{{ algorithm }}sum.txt";
export const FILE_EXISTS = ["overwrite", "skip", "fail"] as const;
export const PRERELEASE = ["true", "false", "auto"] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

export const giteaReleaseSettings = {
  base_url: s.string(httpUrl)({
    description: "Gitea's address, e.g. `https://git.example.com`.",
    defaultText: "derived from `DRONE_REPO_LINK`, or Woodpecker's `CI_FORGE_URL`",
    env: ["GITEA_RELEASE_BASE_URL", "GITEA_URL"],
  }),
  api_key: s.secret({
    description: "Gitea access token with `write:repository` scope. Use `from_secret`.",
    aliases: ["token"],
    env: ["GITEA_RELEASE_API_KEY", "GITEA_TOKEN"],
    required: true,
  }),
  owner: s.string()({ description: "Repository owner.", defaultText: "the build's repository owner" }),
  repo: s.string()({ description: "Repository name.", defaultText: "the build's repository name" }),
  tag: s.string()({
    description: "Tag of the release. On a build that is not for a tag, setting it is required.",
    defaultText: "the build's tag",
    template: "text",
  }),
  target: s.string()({
    description: "Branch or commit the tag is created on when it does not exist yet.",
    defaultText: "the build's commit",
  }),
  title: s.string()({
    description:
      "Release title, or a workspace file holding it (its text, trimmed; a symlink leading out of the workspace is refused).",
    defaultText: "the tag",
    template: "text",
    env: ["GITEA_RELEASE_TITLE"],
  }),
  note: s.string()({
    description:
      "Release notes: Markdown text, or a workspace file holding them (a symlink leading out of the workspace is refused).",
    expand: false,
    env: ["GITEA_RELEASE_NOTE"],
  }),
  generate_notes: s.boolean({
    description:
      "Write notes from the commits since the previous tag, grouped by conventional-commit type (feat, fix …) when the messages follow it. Added after `note` when both are given.",
    default: false,
  }),
  files: s.list()({
    description: "Workspace files to attach, as globs (`dist/*.apk`).",
    example: "[dist/*.apk, dist/*.ipa]",
    env: ["GITEA_RELEASE_FILES"],
  }),
  allow_empty: s.boolean({
    description: "Accept a `files` glob that matches nothing (otherwise it is a settings error).",
    default: false,
  }),
  checksum: s.list({ choices: CHECKSUMS })({
    description:
      "Checksums to publish for the files, one file per algorithm, written as `sha256sum` does (`adler32` and `crc32` in decimal, as drone-gitea-release writes them) and attached.",
    default: [],
    env: ["GITEA_RELEASE_CHECKSUM"],
  }),
  checksum_file: s.string()({
    description:
      "Name of the checksum asset (a name, not a path); `{{ algorithm }}` is replaced by the algorithm, which it must contain when `checksum` lists several. The default names them as drone-gitea-release does: `sha256sum.txt`, `md5sum.txt` …",
    default: DEFAULT_CHECKSUM_FILE,
    expand: false,
  }),
  file_exists: s.enum(FILE_EXISTS)({
    description:
      "When the release already has an asset of that name: `overwrite` replaces it (the old one stays until the new one is uploaded), `skip` keeps it, `fail` stops before uploading anything.",
    default: "overwrite",
    env: ["GITEA_RELEASE_FILE_EXISTS"],
  }),
  overwrite: s.boolean({
    description: "Update the title, notes and pre-release flag of a release that already exists.",
    default: false,
  }),
  draft: s.boolean({
    description: "Leave the release as a draft.",
    default: false,
    env: ["GITEA_RELEASE_DRAFT"],
  }),
  prerelease: s.enum(PRERELEASE)({
    description:
      "Mark as pre-release: `auto` does so for a semver pre-release (`1.2.0-rc.1`) or a tag naming alpha, beta or rc.",
    default: "auto",
    env: ["GITEA_RELEASE_PRERELEASE"],
  }),
  insecure: s.boolean({
    description: "Accept any TLS certificate from Gitea. Prints a warning; prefer `ca_cert`.",
    default: false,
    env: ["GITEA_RELEASE_INSECURE"],
  }),
  ca_cert: s.string()({ description: "PEM certificate(s) to trust for Gitea, inline or a workspace path." }),
  parallel: s.integer({ min: 1, max: 8 })({ description: "Assets uploaded at once.", default: 3 }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Longest time one API call may take, its retries and the waits between them included. An upload may stream for longer, but fails when nothing moves for this long, or when its answer has not come this long after the file was sent.",
    default: 60_000,
  }),
};

export type GiteaReleaseSchema = typeof giteaReleaseSettings;
