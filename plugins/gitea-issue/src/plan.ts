import { type ConnectionPlan, checkConnection, describeTls, planConnection } from "@hangar/gitea";
import {
  type BuildContext,
  errorMessage,
  fileProblem,
  looksLikeTemplate,
  type SettingsCheck,
  StepFailed,
  textOrFile,
} from "@hangar/kit";
import { againIntro, defaultReport, failureIntro, fixedText, renderBody } from "./report.ts";
import { COMMIT_AUTHOR, type Context, type GiteaIssueSchema, type Settings } from "./settings.ts";

export interface IssuePlan extends ConnectionPlan {
  /** The build's real status: a failure opens or comments, a success closes. */
  status: "success" | "failure";
  key: string;
  closeOnSuccess: boolean;
  title: string;
  /** Body of a new issue, without the marker. */
  body: string;
  /** What a later failure adds to the open issue. */
  comment: string;
  /** What a successful build says before closing. */
  fixed: string;
  labels: string[];
  /** Gitea user names to look up and assign; `commit_author` already replaced. */
  assignees: string[];
  /** Why an assignee the settings asked for is not in `assignees`. */
  assigneeNotes: string[];
  buildNumber: number | undefined;
  /** Why this run touches no issue at all (a pull request's build without `key`). */
  skip?: string | undefined;
}

/** `body` is Markdown (with placeholders) or a workspace file holding it. */
async function readBody(workspace: string, value: string): Promise<string> {
  const read = await textOrFile(workspace, value, {
    inline: (text) => text.includes(" ") || looksLikeTemplate(text) || text.includes("#"),
    setting: "body",
  });
  return read.text;
}

/** Drone's `pull_request`; Woodpecker's `pull_request`, `pull_request_closed`, `pull_request_metadata`. */
export function isPullRequest(build: BuildContext): boolean {
  return build.build.event.startsWith("pull_request") || Boolean(build.pullRequest);
}

/**
 * A pull request's build runs the proposed change (a fork's, perhaps), not the branch it targets,
 * though the CI names that branch: its failure is not the branch's, and its success fixes
 * nothing there. Without a `key` of its own it opens and closes no issue.
 */
function pullRequestSkip(build: BuildContext): string {
  const which = build.pullRequest ? `pull request #${build.pullRequest}` : "a pull request";
  const target = build.commit.branch ? ` into ${build.commit.branch}` : "";
  return `this build is of ${which}${target} (event ${build.build.event || "unknown"}), not of a branch: it opens and closes no branch's issue. Set \`key\` (e.g. "pr-{{ pull_request }}") to report pull requests`;
}

function statusOf(build: BuildContext): "success" | "failure" | undefined {
  return build.build.status === "unknown" ? undefined : build.build.status;
}

/** Everything wrong with the settings, found before any API call. */
export const checkSettings: SettingsCheck<GiteaIssueSchema> = async (settings, context) => {
  const { problem, build } = context;
  const problems = await checkConnection(settings, build, problem);
  if (settings.key === undefined && !build.commit.branch) {
    problems.push(
      problem(
        "key",
        "E_SETTING_REQUIRED",
        'is required: this build names no branch to use as the key (set `key`, e.g. "{{ tag }}")',
      ),
    );
  }
  if (settings.key !== undefined && settings.key.trim() === "") {
    problems.push(problem("key", "E_SETTING_INVALID", "must not be empty"));
  }
  for (const label of settings.labels ?? []) {
    if (label.trim() === "" || label.includes(",")) {
      problems.push(problem("labels", "E_SETTING_INVALID", `has a label name Gitea cannot take: "${label}"`));
    }
  }
  if (settings.body !== undefined) {
    try {
      renderBody(await readBody(build.workspace, settings.body), build, new Date());
    } catch (error) {
      const refused = (error as { code?: string }).code?.startsWith("E_");
      problems.push(
        refused
          ? fileProblem(problem, "body", error, settings.body)
          : problem("body", "E_SETTING_TEMPLATE", errorMessage(error)),
      );
    }
  }
  return problems;
};

function resolveAssignees(names: readonly string[], build: BuildContext) {
  const assignees: string[] = [];
  const notes: string[] = [];
  for (const name of names) {
    if (name.toLowerCase() !== COMMIT_AUTHOR) {
      assignees.push(name);
      continue;
    }
    const login = build.commit.author.username;
    if (login) assignees.push(login);
    else
      notes.push("commit_author: the build names no author login (DRONE_COMMIT_AUTHOR / CI_COMMIT_AUTHOR)");
  }
  return { assignees: [...new Set(assignees)], notes };
}

/** What this run will do; settings were checked by `checkSettings`. */
export async function planIssue(settings: Settings, context: Context): Promise<IssuePlan> {
  const { build, log } = context;
  const skip = settings.key === undefined && isPullRequest(build) ? pullRequestSkip(build) : undefined;
  // A skipped run reads no status: it does the same whatever the build's outcome.
  const status = statusOf(build) ?? (skip ? "success" : undefined);
  if (!status) {
    throw new StepFailed(
      "the build's status is unknown: neither Drone's DRONE_BUILD_STATUS nor Woodpecker's CI_PIPELINE_STATUS says success or failure",
      {
        code: "E_BUILD_STATUS_UNKNOWN",
        hint: "Run this step in a pipeline, with `when: status: [success, failure]` so it runs after a failure too.",
      },
    );
  }
  const now = new Date();
  const custom = settings.body
    ? renderBody(await readBody(build.workspace, settings.body), build, now)
    : undefined;
  const { assignees, notes } = resolveAssignees(settings.assignees, build);
  return {
    ...(await planConnection(settings, build, log)),
    status,
    key: settings.key ?? build.commit.branch,
    closeOnSuccess: settings.close_on_success,
    title: settings.title,
    body: custom ?? defaultReport(build, now, failureIntro(build)),
    comment: custom ?? defaultReport(build, now, againIntro(build)),
    fixed: fixedText(build),
    labels: [...new Set(settings.labels.map((label) => label.trim()))],
    assignees,
    assigneeNotes: notes,
    buildNumber: build.build.number,
    skip,
  };
}

export function describePlan(plan: IssuePlan): string {
  const where = `${plan.owner}/${plan.repo} on ${plan.baseUrl}`;
  if (plan.skip) return `nothing to do in ${where}: ${plan.skip}`;
  const lines =
    plan.status === "failure"
      ? [
          `the build failed: comment on the open issue for key "${plan.key}" in ${where}, or open one`,
          `title:     ${plan.title}`,
          `labels:    ${plan.labels.join(", ") || "none"} (created when missing)`,
          `assignees: ${plan.assignees.join(", ") || "none"}${plan.assignees.length ? " (those that are Gitea users)" : ""}`,
          ...plan.assigneeNotes.map((note) => `           ${note}`),
          "body:",
          ...plan.body.split("\n").map((line) => `  ${line}`),
        ]
      : plan.closeOnSuccess
        ? [
            `the build passed: close the open issue for key "${plan.key}" in ${where}, if there is one, with:`,
            `  ${plan.fixed}`,
          ]
        : [`the build passed and close_on_success is off: nothing to do in ${where}`];
  lines.push(...describeTls(plan.tls, "tls:       "));
  return lines.join("\n");
}
