import { targetOf } from "@hangar/gitea";
import type { Card, PluginDefinition, RunResult } from "@hangar/kit";
import type { Outcome } from "./converge.ts";
import { checkSettings, describePlan, type IssuePlan, planIssue } from "./plan.ts";
import { type GiteaIssueSchema, giteaIssueSettings } from "./settings.ts";

export const giteaIssue: PluginDefinition<GiteaIssueSchema, IssuePlan> = {
  name: "gitea-issue",
  description: "A failed build opens (or comments on) one Gitea issue; the next green build closes it.",
  settings: giteaIssueSettings,
  check: checkSettings,
  plan: planIssue,
  describe: describePlan,

  async run(plan, { log, fetch, signal }): Promise<RunResult> {
    if (plan.skip) {
      log.info(plan.skip);
      return {
        summary: `nothing to do: ${plan.skip}`,
        outputs: { number: "", url: "", action: "none" },
        card: cardOf({ action: "none", summary: plan.skip }, plan),
      };
    }
    // The Gitea client (gitea-js) is loaded when the issue is reported, so a dry run or a
    // settings error does not pay for it.
    const [{ GiteaIssues }, { reportFailure, reportSuccess }] = await Promise.all([
      import("./gitea.ts"),
      import("./converge.ts"),
    ]);
    const gitea = GiteaIssues.connect(targetOf(plan), log, fetch, signal);
    log.section(
      `issue for ${plan.key} in ${plan.owner}/${plan.repo}: the build ${plan.status === "failure" ? "failed" : "passed"}`,
    );
    const outcome =
      plan.status === "failure"
        ? await reportFailure(gitea, plan, log)
        : await reportSuccess(gitea, plan, log);
    return {
      summary: outcome.summary,
      outputs: {
        number: outcome.issue?.number === undefined ? "" : String(outcome.issue.number),
        url: outcome.issue?.html_url ?? "",
        action: outcome.action,
      },
      card: cardOf(outcome, plan),
    };
  },
};

const TITLES = {
  opened: "Opened issue",
  commented: "Commented on issue",
  closed: "Closed issue",
} as const;

function cardOf(outcome: Outcome, plan: IssuePlan): Card {
  const { issue } = outcome;
  const title = plan.skip
    ? "Pull request: no branch's issue touched"
    : outcome.action === "none" || !issue
      ? `No issue open for ${plan.key}`
      : `${TITLES[outcome.action]} #${issue.number}: ${issue.title ?? ""}`;
  return {
    title,
    status: outcome.action === "none" ? "skipped" : outcome.action === "closed" ? "success" : "failure",
    facts: [
      { name: "Action", value: outcome.action },
      { name: "Key", value: plan.key },
      { name: "Build", value: plan.status },
    ],
    links: issue?.html_url ? [{ title: `Issue #${issue.number}`, url: issue.html_url }] : [],
  };
}
