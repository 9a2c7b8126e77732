import { apiError, type Call, notFound, type OperationHandler } from "./call.ts";
import { linkHeader, listOptions, pageOf } from "./pagination.ts";
import { presentCommit, presentReference, presentRepository, presentTag } from "./present.ts";
import type { CommitRecord } from "./repository.ts";
import { parseGoBool } from "./schema.ts";

// misc.Version, repo.Get and the git routes of Gitea 1.22 (tag.go, git_ref.go, commits.go, compare.go).

/** `stat`, `verification` and `files` default to true: `ctx.FormString(x) == "" || ctx.FormBool(x)`. */
function flag(call: Call, name: string): boolean {
  const text = call.query.get(name) ?? "";
  return text === "" || parseGoBool(text) === true;
}

function commitsJson(call: Call, commits: CommitRecord[], stat: boolean) {
  const options = { stat, files: flag(call, "files"), verification: flag(call, "verification") };
  return commits.map((commit) => presentCommit(call.world.site, commit, call.viewer, options));
}

export const gitHandlers: Record<string, OperationHandler> = {
  getVersion: {
    repo: false,
    handle: (call) => ({ status: 200, json: { version: call.world.version } }),
  },

  repoGet: {
    handle(call) {
      const releases = call.world.store.list({ includeDrafts: false }).length;
      return { status: 200, json: presentRepository(call.world.site, call.viewer, releases) };
    },
  },

  repoListTags: {
    handle(call) {
      const options = listOptions(call.query, call.world.settings);
      const tags = call.world.site.git.sortedTags();
      // ListTags sets X-Total-Count but, unlike the release list, no Link header.
      return {
        status: 200,
        headers: { "X-Total-Count": String(tags.length), "Access-Control-Expose-Headers": "X-Total-Count" },
        json: pageOf(tags, options).map((tag) => presentTag(call.world.site, tag)),
      };
    },
  },

  repoGetTag: {
    handle(call) {
      const name = call.params.tag ?? "";
      const tag = call.world.site.git.tags.get(name);
      // ctx.NotFound(tagName): the tag name becomes the message.
      return tag ? { status: 200, json: presentTag(call.world.site, tag) } : notFound(call.world, name);
    },
  },

  repoListAllGitRefs: { handle: (call) => refs(call, "") },
  repoListGitRefs: { handle: (call) => refs(call, call.params.ref ?? "") },

  repoGetAllCommits: {
    handle(call) {
      const world = call.world;
      const git = world.site.git;
      if (git.isEmpty) return apiError(world, 409, "Git Repository is empty.");
      const options = listOptions(call.query, world.settings);
      const pageSize = Math.min(options.pageSize, 50); // [git] COMMITS_RANGE_SIZE
      const sha = call.query.get("sha") ?? "";
      const base = git.resolve(sha || git.defaultBranch);
      if (!base) return notFound(world); // NotFoundOrServerError("GetCommit", git.IsErrNotExist, …)
      const not = call.query.get("not") ?? "";
      const excluded = not ? git.resolve(not) : undefined;
      let history = git.log(base, excluded);
      const path = call.query.get("path") ?? "";
      if (path)
        history = history.filter((c) =>
          c.files.some((f) => f.filename === path || f.filename.startsWith(`${path}/`)),
        );
      const total = history.length;
      const pageCount = Math.ceil(total / pageSize);
      const headers: Record<string, string> = {
        "X-Total-Count": String(total),
        "X-Page": String(options.page),
        "X-PerPage": String(pageSize),
        "X-Total": String(total),
        "X-PageCount": String(pageCount),
        "X-HasMore": String(options.page < pageCount),
        "Access-Control-Expose-Headers":
          "Link, X-Total-Count, X-Page, X-PerPage, X-Total, X-PageCount, X-HasMore",
      };
      const link = linkHeader(world.site.appUrl, call.url, total, pageSize);
      if (link) headers.Link = link;
      const page = pageOf(history, { page: options.page, pageSize });
      return { status: 200, headers, json: commitsJson(call, page, flag(call, "stat")) };
    },
  },

  repoCompareDiff: {
    handle(call) {
      const git = call.world.site.git;
      const info = call.params.basehead ?? "";
      let [base, head] = [git.defaultBranch, git.defaultBranch];
      const three = info.split("...");
      const two = info.split("..");
      if (three.length >= 2) [base, head] = [three[0] ?? "", three.slice(1).join("...")];
      else if (two.length >= 2) [base, head] = [two[0] ?? "", two.slice(1).join("..")];
      else if (info) head = info;
      const baseCommit = git.resolve(base);
      if (!baseCommit) return notFound(call.world, "BaseNotExist");
      const headCommit = git.resolve(head);
      if (!headCommit) return notFound(call.world, "IsRefExist");
      const commits = git.log(headCommit, baseCommit);
      return {
        status: 200,
        json: { total_commits: commits.length, commits: commitsJson(call, commits, true) },
      };
    },
  },
};

/** getGitRefsInternal: prefix match under refs/; one exact match is answered as an object, not a list. */
function refs(call: Call, filter: string) {
  const prefix = filter ? `refs/${filter}` : "";
  const found = call.world.site.git.refs().filter((ref) => ref.ref.startsWith(prefix));
  if (found.length === 0) return notFound(call.world);
  const json = found.map((ref) => presentReference(call.world.site, ref));
  if (json.length === 1 && json[0]?.ref === prefix) return { status: 200, json: json[0] };
  return { status: 200, json };
}
