import { errorMessage, type Logger } from "@hangar/kit";
import type { Issue } from "gitea-js";
import { type GiteaIssues, isAssigneeRefusal } from "./gitea.ts";
import { hasMarker, withMarker } from "./marker.ts";
import type { IssuePlan } from "./plan.ts";

export type Action = "opened" | "commented" | "closed" | "none";

export interface Outcome {
  action: Action;
  issue?: Issue | undefined;
  /** One line for the log's summary. */
  summary: string;
}

/** `ci-failure` is red; any other label gets a colour of its own, the same on every run. */
export function colourFor(label: string): string {
  if (label === "ci-failure") return "e11d21";
  let hash = 0;
  for (const char of label) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return (hash & 0xffffff).toString(16).padStart(6, "0");
}

/** Whose issues hangar may take for its own: the token's user's, or anyone's when the token cannot tell. */
type Poster = { id: number | undefined; login: string } | undefined;

/**
 * The token's user, who opened every issue hangar opened: an issue someone else opened (with a
 * marker copied into it) is not taken for hangar's. A token without `read:user` cannot say who
 * it is; then the marker alone decides, and the log says so.
 */
async function posterOf(gitea: GiteaIssues, log: Logger): Promise<Poster> {
  const me = await gitea.me();
  if (me?.login) return { id: me.id, login: me.login };
  log.info(
    "the token may not read its own user (no read:user scope): issues are matched by their marker, whoever opened them",
  );
  return undefined;
}

function openedBy(issue: Issue, poster: Poster): boolean {
  if (!poster) return true;
  const user = issue.user;
  if (poster.id !== undefined && user?.id !== undefined) return user.id === poster.id;
  return (user?.login ?? "").toLowerCase() === poster.login.toLowerCase();
}

/** Open issues carrying the key's marker (and opened by the token's user), oldest (lowest number) first. */
async function openFor(gitea: GiteaIssues, key: string, poster: Poster): Promise<Issue[]> {
  const open = await gitea.openIssues();
  return open
    .filter((issue) => hasMarker(issue.body, key) && openedBy(issue, poster))
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
}

/**
 * The ids of the labels, created when the repository lacks them. Gitea allows two labels of one
 * name (two first runs at once may each create it); the oldest is used, so issues share one.
 */
async function labelIds(gitea: GiteaIssues, names: readonly string[], log: Logger): Promise<number[]> {
  if (names.length === 0) return [];
  const existing = await gitea.labels();
  const ids: number[] = [];
  for (const name of names) {
    const found = existing
      .filter((label) => label.name === name)
      .sort((a, b) => (a.id ?? 0) - (b.id ?? 0))[0];
    if (found?.id !== undefined) {
      ids.push(found.id);
      continue;
    }
    const created = await gitea.createLabel(name, colourFor(name));
    log.info(`created the label ${name} (#${created.color})`);
    if (created.id !== undefined) ids.push(created.id);
  }
  return ids;
}

/** The assignees that are Gitea users; the others are left out with a note, not a failure. */
async function usersAmong(gitea: GiteaIssues, names: readonly string[], log: Logger): Promise<string[]> {
  const users: string[] = [];
  for (const name of names) {
    try {
      if (await gitea.userExists(name)) users.push(name);
      else log.warn(`assignees: ${name} is not a Gitea user; not assigned`);
    } catch (error) {
      // A token without read:user cannot look users up: the issue matters more than its assignee.
      log.warn(
        `assignees: cannot tell whether ${name} is a Gitea user (${errorMessage(error)}); not assigned`,
      );
    }
  }
  return users;
}

async function open(gitea: GiteaIssues, plan: IssuePlan, log: Logger): Promise<Issue> {
  const labels = await labelIds(gitea, plan.labels, log);
  for (const note of plan.assigneeNotes) log.warn(note);
  const assignees = await usersAmong(gitea, plan.assignees, log);
  const input = { title: plan.title, body: withMarker(plan.body, plan.key), labels, assignees };
  try {
    return await gitea.create(input);
  } catch (error) {
    if (assignees.length === 0 || !isAssigneeRefusal(error)) throw error;
    log.warn(`Gitea refused the assignees (${errorMessage(error)}); opening the issue without them`);
    return gitea.create({ ...input, assignees: [] });
  }
}

/**
 * A failed build: one open issue per key. When one is open, this failure is a comment on it.
 * Otherwise this run opens one, then looks again: a build that failed at the same moment may
 * have opened its own. The oldest open issue for the key stays; a run whose issue is not the
 * oldest closes it with a link there and comments there instead, so however the runs
 * interleave, one issue stays open and holds both failures. A later failure that still finds
 * two open (a run cancelled in between) closes the newer.
 */
export async function reportFailure(gitea: GiteaIssues, plan: IssuePlan, log: Logger): Promise<Outcome> {
  const poster = await posterOf(gitea, log);
  const before = await openFor(gitea, plan.key, poster);
  const current = before[0];
  if (current?.number !== undefined) {
    await gitea.comment(current.number, plan.comment);
    await closeDuplicates(gitea, before.slice(1), current, log);
    return {
      action: "commented",
      issue: current,
      summary: `commented on issue #${current.number} for ${plan.key}: ${current.html_url}`,
    };
  }

  const mine = await open(gitea, plan, log);
  log.info(`opened issue #${mine.number}: ${mine.html_url}`);
  const after = await openFor(gitea, plan.key, poster);
  const keeper = [...after, mine].sort((a, b) => (a.number ?? 0) - (b.number ?? 0))[0] ?? mine;
  if (keeper.number === mine.number) {
    return {
      action: "opened",
      issue: mine,
      summary: `opened issue #${mine.number} for ${plan.key}: ${mine.html_url}`,
    };
  }
  // Another build opened one first: each run closes only its own duplicate (no double notes),
  // and this failure is added to the one that stays.
  await closeDuplicates(gitea, [mine], keeper, log);
  await gitea.comment(keeper.number as number, plan.comment);
  return {
    action: "commented",
    issue: keeper,
    summary: `issue #${keeper.number} for ${plan.key} was opened by another build at the same time: commented there, closed #${mine.number} as its duplicate`,
  };
}

async function closeDuplicates(
  gitea: GiteaIssues,
  duplicates: readonly Issue[],
  keeper: Issue,
  log: Logger,
): Promise<void> {
  for (const duplicate of duplicates) {
    if (duplicate.number === undefined || duplicate.number === keeper.number) continue;
    await gitea.comment(
      duplicate.number,
      `Duplicate of #${keeper.number} (${keeper.html_url}): another build failed at the same time and opened it first.`,
    );
    await gitea.close(duplicate.number);
    log.info(`closed issue #${duplicate.number} as a duplicate of #${keeper.number}`);
  }
}

/** A successful build: the open issue for the key is told which build fixed it, and closed. */
export async function reportSuccess(gitea: GiteaIssues, plan: IssuePlan, log: Logger): Promise<Outcome> {
  if (!plan.closeOnSuccess) {
    return {
      action: "none",
      summary: "the build passed; close_on_success is off, so no issue was looked at",
    };
  }
  const openIssues = await openFor(gitea, plan.key, await posterOf(gitea, log));
  if (openIssues.length === 0) {
    return {
      action: "none",
      summary: `the build passed and no issue is open for ${plan.key}: nothing to do`,
    };
  }
  for (const issue of openIssues) {
    const number = issue.number as number;
    await gitea.comment(number, plan.fixed);
    await gitea.close(number);
    log.info(`closed issue #${number}: ${issue.html_url}`);
  }
  const first = openIssues[0] as Issue;
  return {
    action: "closed",
    issue: first,
    summary: `closed issue #${first.number} for ${plan.key}: ${first.html_url}`,
  };
}
