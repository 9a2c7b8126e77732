import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and check.ts read them, and the context they are read in. */
export type Settings = SettingsOf<GiteaIssueSchema>;
export type Context = PlanContext<GiteaIssueSchema>;

/**
 * Every setting of gitea-issue. The connection settings (`base_url`, `api_key`, `owner`, `repo`,
 * `ca_cert`, `insecure`, `timeout`) are named and behave as gitea-release's.
 */

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/** Assigns the author of the build's commit, when they are a Gitea user. */
export const COMMIT_AUTHOR = "commit_author";

export const giteaIssueSettings = {
  base_url: s.string(httpUrl)({
    description: "Gitea's address, e.g. `https://git.example.com`.",
    defaultText: "derived from `DRONE_REPO_LINK`, or Woodpecker's `CI_FORGE_URL`",
    env: ["GITEA_URL"],
  }),
  api_key: s.secret({
    description:
      "Gitea access token with the `write:issue` scope, and `read:user` for `commit_author` and to match only issues the token's user opened. Use `from_secret`.",
    aliases: ["token"],
    env: ["GITEA_TOKEN"],
    required: true,
  }),
  owner: s.string()({ description: "Repository owner.", defaultText: "the build's repository owner" }),
  repo: s.string()({ description: "Repository name.", defaultText: "the build's repository name" }),
  labels: s.list()({
    description:
      "Labels of a new issue; a label the repository does not have is created (`ci-failure` red, others a colour of their own).",
    default: ["ci-failure"],
    example: "[ci-failure, bug]",
  }),
  assignees: s.list()({
    description:
      "Gitea users a new issue is assigned to. `commit_author` assigns the author of the build's commit when they are a Gitea user (and is left out, with a note, when not). A name that is no Gitea user is left out with a warning.",
    default: [],
    example: "[commit_author, alice]",
  }),
  title: s.string()({
    description: "Title of a new issue (not used to find it again: see `key`).",
    default: "CI failing on {{ branch }}",
    template: "text",
  }),
  body: s.string()({
    description:
      "Body of a new issue, and of the comment a later failure adds: Markdown with `{{ … }}` placeholders (`{{ build.number }}`, `{{ failed_steps }}`, `{{ time }}` …), inline or a workspace file. The default lists the failed steps, the build with its link, the branch, the commit with its message and author, and the time.",
    defaultText: "a summary of the failed build",
    expand: false,
  }),
  key: s.string()({
    description:
      "What makes two failures the same problem: one open issue per key. It is kept in a hidden marker on the last line of the issue's body, so a renamed issue is still found. A pull request's build touches no issue unless `key` is set (e.g. `pr-{{ pull_request }}`).",
    defaultText: "the build's branch",
    template: "text",
  }),
  close_on_success: s.boolean({
    description: "On a successful build, comment on the open issue for `key` and close it.",
    default: true,
  }),
  insecure: s.boolean({
    description: "Accept any TLS certificate from Gitea. Prints a warning; prefer `ca_cert`.",
    default: false,
  }),
  ca_cert: s.string()({ description: "PEM certificate(s) to trust for Gitea, inline or a workspace path." }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Longest time one API call may take, its retries and the waits between them included. A step makes a handful of calls (more when it pages through many open issues).",
    default: 30_000,
  }),
};

export type GiteaIssueSchema = typeof giteaIssueSettings;
