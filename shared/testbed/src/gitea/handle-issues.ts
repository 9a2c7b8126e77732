import { apiError, type Call, notFound, type OperationHandler } from "./call.ts";
import type { IssueRecord } from "./issues.ts";
import { presentUser } from "./present.ts";
import { presentComment, presentIssue, presentLabel } from "./present-issues.ts";
import { orRefusal, paged, whenFound } from "./replies.ts";

// routers/api/v1/repo/issue.go, issue_comment.go and label.go, and user/user.go of Gitea 1.22.

const issueOf = (call: Call, issue: IssueRecord) =>
  presentIssue(call.world.site, call.world.issues, issue, call.viewer);

/** ctx.ParamsInt64(":index"): anything but an integer reads as 0, which no issue has. */
function issueByIndex(call: Call): IssueRecord | undefined {
  const text = call.params.index ?? "";
  return /^\d+$/.test(text) ? call.world.issues.byNumber(Number.parseInt(text, 10)) : undefined;
}

/**
 * The assignees a request names (assignee + assignees), as MakeIDsFromAPIAssigneesToAdd and the
 * CanBeAssigned check find them; a string is the 422 Gitea answers.
 */
function assigneeIds(call: Call): number[] | string {
  const names = [
    ...(typeof call.body.assignee === "string" && call.body.assignee !== "" ? [call.body.assignee] : []),
    ...(Array.isArray(call.body.assignees) ? call.body.assignees.map(String) : []),
  ];
  const ids: number[] = [];
  for (const name of names) {
    const user = call.world.issues.userByName(name);
    if (!user) return `Assignee does not exist: [name: user does not exist [uid: 0, name: ${name}]]`;
    if (!user.collaborator)
      return `user doesn't have access to repo [user_id: ${user.id}, repo_name: ${call.world.site.repo}]`;
    ids.push(user.id);
  }
  return ids;
}

export const issueHandlers: Record<string, OperationHandler> = {
  issueListIssues: {
    scope: "issue",
    handle(call) {
      const { issues } = call.world;
      const state = call.query.get("state");
      const wanted = state === "closed" ? "closed" : state === "all" ? undefined : "open";
      // GetLabelIDsInRepoByNames: names that are no label of the repository are dropped, and
      // with none left there is no label filter at all. Every label given must be on the issue.
      const labelIds = (call.query.get("labels") ?? "")
        .split(",")
        .map((name) => issues.labels.filter((label) => label.name === name).map((label) => label.id))
        .filter((ids) => ids.length > 0);
      const keyword = (call.query.get("q") ?? "").toLowerCase();
      const poster = call.query.get("created_by");
      const posterId = poster ? (issues.userByName(poster)?.id ?? -1) : undefined;
      const all = issues
        .newestFirst()
        // The stand-in has no pull requests: type=pulls finds nothing, issues or none finds all.
        .filter(() => call.query.get("type") !== "pulls")
        .filter((issue) => wanted === undefined || issue.state === wanted)
        .filter((issue) => labelIds.every((ids) => ids.some((id) => issue.labelIds.includes(id))))
        .filter((issue) => posterId === undefined || issue.posterId === posterId)
        .filter(
          (issue) =>
            keyword === "" ||
            [issue.title, issue.body, ...issue.comments.map((each) => each.body)].some((text) =>
              text.toLowerCase().includes(keyword),
            ),
        );
      return paged(call, all, (issue) => issueOf(call, issue));
    },
  },

  issueGetIssue: {
    scope: "issue",
    handle: whenFound(issueByIndex, (call, issue) => ({ status: 200, json: issueOf(call, issue) })),
  },

  issueCreateIssue: {
    scope: "issue",
    write: true,
    body: "CreateIssueOption",
    handle(call) {
      const assignees = assigneeIds(call);
      if (typeof assignees === "string") return apiError(call.world, 422, assignees);
      const issue = call.world.issues.create({
        title: String(call.body.title ?? ""),
        body: typeof call.body.body === "string" ? call.body.body : "",
        labelIds: Array.isArray(call.body.labels) ? call.body.labels.map(Number) : [],
        assigneeIds: assignees,
        closed: call.body.closed === true,
        posterId: call.viewer?.id ?? 0,
      });
      return { status: 201, json: issueOf(call, issue) };
    },
  },

  issueEditIssue: {
    scope: "issue",
    write: true,
    body: "EditIssueOption",
    handle: whenFound(issueByIndex, (call, issue) => {
      const { body } = call;
      if ("assignee" in body || "assignees" in body) {
        const assignees = assigneeIds(call);
        if (typeof assignees === "string") return apiError(call.world, 422, assignees);
        issue.assigneeIds = assignees;
      }
      if (typeof body.title === "string" && body.title !== "") issue.title = body.title;
      if (typeof body.body === "string") issue.body = body.body;
      // api.StateClosed or anything else, which reopens.
      if (typeof body.state === "string")
        call.world.issues.setState(issue, body.state === "closed" ? "closed" : "open");
      // EditIssue answers 201, as the schema documents.
      return { status: 201, json: issueOf(call, issue) };
    }),
  },

  issueGetComments: {
    scope: "issue",
    handle: whenFound(issueByIndex, (call, issue) => {
      const { site, issues } = call.world;
      return {
        status: 200,
        json: issue.comments.map((each) => presentComment(site, issues, issue, each, call.viewer)),
      };
    }),
  },

  issueCreateComment: {
    scope: "issue",
    write: true,
    body: "CreateIssueCommentOption",
    handle: whenFound(issueByIndex, (call, issue) => {
      const { site, issues } = call.world;
      const comment = issues.comment(issue, String(call.body.body ?? ""), call.viewer?.id ?? 0);
      return { status: 201, json: presentComment(site, issues, issue, comment, call.viewer) };
    }),
  },

  issueListLabels: {
    scope: "issue",
    handle(call) {
      return paged(call, call.world.issues.labels, (label) => presentLabel(call.world.site, label));
    },
  },

  issueCreateLabel: {
    scope: "issue",
    write: true,
    body: "CreateLabelOption",
    handle(call) {
      return orRefusal(call, () => {
        const label = call.world.issues.createLabel({
          name: String(call.body.name ?? ""),
          color: String(call.body.color ?? ""),
          description: typeof call.body.description === "string" ? call.body.description : "",
          exclusive: call.body.exclusive === true,
        });
        return { status: 201, json: presentLabel(call.world.site, label) };
      });
    },
  },

  /** GET /user: the token's own user (reqToken; the user scope, as every /user route). */
  userGetCurrent: {
    repo: false,
    scope: "user",
    handle(call) {
      if (!call.viewer) return apiError(call.world, 401, "token is required");
      return { status: 200, json: presentUser(call.world.site, call.viewer, call.viewer) };
    },
  },

  userGet: {
    repo: false,
    scope: "user",
    handle(call) {
      const user = call.world.issues.userByName(call.params.username ?? "");
      return user
        ? { status: 200, json: presentUser(call.world.site, user, call.viewer) }
        : notFound(call.world);
    },
  },
};
