import { type Access, GiteaCallFailed, GiteaConnection, type GiteaTarget } from "@hangar/gitea";
import type { Logger } from "@hangar/kit";
import type { Comment, Issue, Label, User } from "gitea-js";

export { GiteaCallFailed } from "@hangar/gitea";

/** Issues, comments and labels are under the issue scope; a 403 names it. */
const ACCESS: Access = { scope: "write:issue", what: "open, comment on or close issues" };

/** The Gitea calls gitea-issue makes, each bounded and retried by the shared client. */
export class GiteaIssues {
  readonly #gitea: GiteaConnection;

  constructor(gitea: GiteaConnection) {
    this.#gitea = gitea;
  }

  static connect(target: GiteaTarget, log: Logger, fetchImpl: typeof fetch, signal?: AbortSignal) {
    return new GiteaIssues(new GiteaConnection(target, ACCESS, log, fetchImpl, signal));
  }

  get #repo(): [string, string] {
    return [this.#gitea.target.owner, this.#gitea.target.repo];
  }

  /** Open issues (not pull requests), all pages, newest first as Gitea lists them. */
  async openIssues(): Promise<Issue[]> {
    return this.#gitea.all(
      "listing open issues",
      "issues",
      (query, signal) =>
        this.#gitea.api.repos.issueListIssues(
          ...this.#repo,
          { state: "open", type: "issues", ...query },
          { signal },
        ),
      { identify: (issue) => issue.id },
    );
  }

  async labels(): Promise<Label[]> {
    return this.#gitea.all(
      "listing labels",
      "labels",
      (query, signal) => this.#gitea.api.repos.issueListLabels(...this.#repo, query, { signal }),
      { identify: (label) => label.id },
    );
  }

  async createLabel(name: string, color: string): Promise<Label> {
    return this.#gitea.required(`creating the label ${name}`, (signal) =>
      this.#gitea.api.repos.issueCreateLabel(
        ...this.#repo,
        { name, color, description: "Added by hangar's gitea-issue" },
        { signal },
      ),
    );
  }

  /**
   * The token's own user, or undefined when the token may not read it (GET /user needs the
   * `read:user` scope, which `write:issue` alone does not grant).
   */
  async me(): Promise<User | undefined> {
    try {
      return await this.#gitea.call("reading the token's user", (signal) =>
        this.#gitea.api.user.userGetCurrent({ signal }),
      );
    } catch (error) {
      if (error instanceof GiteaCallFailed && (error.status === 401 || error.status === 403))
        return undefined;
      throw error;
    }
  }

  /** Whether a Gitea user of that name exists; a 404 is no. */
  async userExists(login: string): Promise<boolean> {
    const user = await this.#gitea.call(
      `looking up the user ${login}`,
      (signal) => this.#gitea.api.users.userGet(login, { signal }),
      { notFound: true },
    );
    return user !== undefined;
  }

  async create(input: {
    title: string;
    body: string;
    labels: number[];
    assignees: string[];
  }): Promise<Issue> {
    return this.#gitea.required(`opening the issue "${input.title}"`, (signal) =>
      this.#gitea.api.repos.issueCreateIssue(
        ...this.#repo,
        {
          title: input.title,
          body: input.body,
          labels: input.labels,
          ...(input.assignees.length > 0 ? { assignees: input.assignees } : {}),
        },
        { signal },
      ),
    );
  }

  async comment(number: number, body: string): Promise<Comment> {
    return this.#gitea.required(`commenting on issue #${number}`, (signal) =>
      this.#gitea.api.repos.issueCreateComment(...this.#repo, number, { body }, { signal }),
    );
  }

  async close(number: number): Promise<Issue> {
    return this.#gitea.required(`closing issue #${number}`, (signal) =>
      this.#gitea.api.repos.issueEditIssue(...this.#repo, number, { state: "closed" }, { signal }),
    );
  }
}

/** A 422 about assignees: Gitea refuses the whole issue for one name it cannot assign. */
export function isAssigneeRefusal(error: unknown): boolean {
  return (
    error instanceof GiteaCallFailed &&
    error.status === 422 &&
    /assignee|access to repo|can not be assigned/i.test(error.message)
  );
}
