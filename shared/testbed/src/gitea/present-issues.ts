import type { CommentRecord, IssueRecord, IssueStore, LabelRecord } from "./issues.ts";
import { type GiteaUser, goTime, presentUser, repoApiUrl, repoHtmlUrl, type Site } from "./present.ts";

// convert.ToAPIIssue, ToAPIComment and ToLabel of Gitea 1.22, keys in the order of their Go structs.

export function presentLabel(site: Site, label: LabelRecord) {
  return {
    id: label.id,
    name: label.name,
    exclusive: label.exclusive,
    is_archived: false,
    color: label.color,
    description: label.description,
    url: `${repoApiUrl(site)}/labels/${label.id}`,
  };
}

function userOf(site: Site, store: IssueStore, id: number, viewer: GiteaUser | undefined) {
  const user = store.userById(id) ?? site.owner;
  return presentUser(site, user, viewer);
}

export const issueHtmlUrl = (site: Site, issue: IssueRecord) => `${repoHtmlUrl(site)}/issues/${issue.number}`;

export function presentIssue(
  site: Site,
  store: IssueStore,
  issue: IssueRecord,
  viewer: GiteaUser | undefined,
) {
  const assignees = issue.assigneeIds.map((id) => userOf(site, store, id, viewer));
  return {
    id: issue.id,
    url: `${repoApiUrl(site)}/issues/${issue.number}`,
    html_url: issueHtmlUrl(site, issue),
    number: issue.number,
    user: userOf(site, store, issue.posterId, viewer),
    original_author: "",
    original_author_id: 0,
    title: issue.title,
    body: issue.body,
    ref: "",
    assets: [],
    labels: store.labels
      .filter((label) => issue.labelIds.includes(label.id))
      .map((label) => presentLabel(site, label)),
    milestone: null,
    // Go leaves both nil when nobody is assigned.
    assignee: assignees[0] ?? null,
    assignees: assignees.length > 0 ? assignees : null,
    state: issue.state,
    is_locked: false,
    comments: issue.comments.length,
    created_at: goTime(issue.created),
    updated_at: goTime(issue.updated),
    closed_at: issue.closed ? goTime(issue.closed) : null,
    due_date: null,
    pull_request: null,
    repository: {
      id: 1,
      name: site.repo,
      owner: site.owner.login,
      full_name: `${site.owner.login}/${site.repo}`,
    },
    pin_order: 0,
  };
}

export function presentComment(
  site: Site,
  store: IssueStore,
  issue: IssueRecord,
  comment: CommentRecord,
  viewer: GiteaUser | undefined,
) {
  return {
    id: comment.id,
    html_url: `${issueHtmlUrl(site, issue)}#issuecomment-${comment.id}`,
    pull_request_url: "",
    issue_url: issueHtmlUrl(site, issue),
    user: userOf(site, store, comment.posterId, viewer),
    original_author: "",
    original_author_id: 0,
    body: comment.body,
    assets: [],
    created_at: goTime(comment.created),
    updated_at: goTime(comment.created),
  };
}
