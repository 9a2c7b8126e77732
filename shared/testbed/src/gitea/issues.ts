import { GiteaError } from "./releases.ts";

// The issue side of the stand-in's one repository: issues with their comments, labels and
// assignees, and the other users of the site (for assignees and GET /users/{username}).

export interface SiteUser {
  id: number;
  login: string;
  fullName: string;
  email: string;
  isAdmin: boolean;
  /** Whether the user has access to the repository, so can be assigned (CanBeAssigned). */
  collaborator: boolean;
}

export interface LabelRecord {
  id: number;
  name: string;
  /** Six hex digits, without `#` (convert.ToLabel trims it). */
  color: string;
  description: string;
  exclusive: boolean;
}

export interface CommentRecord {
  id: number;
  body: string;
  posterId: number;
  created: Date;
}

export interface IssueRecord {
  id: number;
  /** The issue's index in the repository: `#12`. */
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  posterId: number;
  labelIds: number[];
  assigneeIds: number[];
  comments: CommentRecord[];
  created: Date;
  updated: Date;
  closed: Date | undefined;
}

export interface IssueInput {
  title: string;
  body: string;
  labelIds: number[];
  assigneeIds: number[];
  closed: boolean;
  posterId: number;
}

const now = () => new Date(Math.floor(Date.now() / 1000) * 1000);

/** `label.ColorPattern` of Gitea 1.22. */
const COLOR = /^#?(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$/;

export class IssueStore {
  readonly issues: IssueRecord[] = [];
  readonly labels: LabelRecord[] = [];
  readonly users: SiteUser[];
  #nextId = 1;
  #nextComment = 1;
  #nextLabel = 1;

  constructor(users: SiteUser[]) {
    this.users = users;
  }

  userByName(login: string): SiteUser | undefined {
    const lower = login.toLowerCase();
    return this.users.find((user) => user.login.toLowerCase() === lower);
  }

  userById(id: number): SiteUser | undefined {
    return this.users.find((user) => user.id === id);
  }

  byNumber(number: number): IssueRecord | undefined {
    return this.issues.find((issue) => issue.number === number);
  }

  /** Newest first, as ListIssues sorts (SortByCreatedDesc). */
  newestFirst(): IssueRecord[] {
    return [...this.issues].sort((a, b) => b.created.getTime() - a.created.getTime() || b.id - a.id);
  }

  create(input: IssueInput): IssueRecord {
    const created = now();
    // NewIssue keeps only the labels of this repository; unknown ids are dropped silently.
    const labelIds = [...new Set(input.labelIds)].filter((id) =>
      this.labels.some((label) => label.id === id),
    );
    const issue: IssueRecord = {
      id: this.#nextId,
      number: this.#nextId,
      title: input.title,
      body: input.body,
      state: input.closed ? "closed" : "open",
      posterId: input.posterId,
      labelIds,
      assigneeIds: [...new Set(input.assigneeIds)],
      comments: [],
      created,
      updated: created,
      closed: input.closed ? created : undefined,
    };
    this.#nextId += 1;
    this.issues.push(issue);
    return issue;
  }

  comment(issue: IssueRecord, body: string, posterId: number): CommentRecord {
    const comment = { id: this.#nextComment, body, posterId, created: now() };
    this.#nextComment += 1;
    issue.comments.push(comment);
    issue.updated = comment.created;
    return comment;
  }

  setState(issue: IssueRecord, state: "open" | "closed"): void {
    if (issue.state === state) return;
    issue.state = state;
    issue.updated = now();
    issue.closed = state === "closed" ? issue.updated : undefined;
  }

  /** NewLabel after the API's checks: the colour must be #rgb or #rrggbb. Names may repeat, as in Gitea. */
  createLabel(input: { name: string; color: string; description: string; exclusive: boolean }): LabelRecord {
    let color = input.color.trim();
    if (color.length === 6) color = `#${color}`;
    if (!COLOR.test(color)) throw new GiteaError(422, `bad color code: ${color}`);
    const hex = color.replace(/^#/, "");
    const label: LabelRecord = {
      id: this.#nextLabel,
      name: input.name,
      color: (hex.length === 3 ? [...hex].map((digit) => digit + digit).join("") : hex).toLowerCase(),
      description: input.description,
      exclusive: input.exclusive,
    };
    this.#nextLabel += 1;
    this.labels.push(label);
    return label;
  }
}

/** What a test reads of an issue (see GiteaStandIn.issues). */
export function snapshotIssue(store: IssueStore, issue: IssueRecord) {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: store.labels.filter((label) => issue.labelIds.includes(label.id)).map((label) => label.name),
    assignees: issue.assigneeIds.map((id) => store.userById(id)?.login ?? String(id)),
    comments: issue.comments.map((comment) => comment.body),
  };
}
