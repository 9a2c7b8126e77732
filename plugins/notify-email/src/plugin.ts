import type { PluginDefinition, RunResult } from "@hangar/kit";
import { checkSettings, describePlan, type MailPlan, planMail } from "./plan.ts";
import { sendMail } from "./send.ts";
import { type NotifyEmailSchema, notifyEmailSettings } from "./settings.ts";

export const notifyEmail: PluginDefinition<NotifyEmailSchema, MailPlan> = {
  name: "notify-email",
  description: "Mail the build's status to the committer and a list, over one SMTP connection.",
  settings: notifyEmailSettings,
  check: checkSettings,
  plan: planMail,
  describe: describePlan,

  async run(plan, { log, signal }): Promise<RunResult> {
    if (!plan.decision.send) {
      log.info(`not sending: ${plan.decision.reason}`);
      return { summary: "no mail for this build", outputs: { sent: "false" } };
    }
    const { server } = plan;
    log.section(
      `mailing ${plan.to.length + plan.cc.length + plan.bcc.length} recipient(s) through ${server.host}:${server.port}`,
    );
    log.info(`sending because ${plan.decision.reason}`);
    if (plan.authorNote) log.info(plan.authorNote);
    for (const source of plan.templateSources) log.info(source);

    const result = await sendMail(plan, log, signal);
    const accepted = result.recipients.filter((recipient) => recipient.accepted);
    const refused = result.recipients.filter((recipient) => !recipient.accepted);
    for (const recipient of result.recipients) {
      const retried = recipient.attempts > 1 ? ` after ${recipient.attempts} attempts` : "";
      if (recipient.accepted) log.info(`  ✔ ${recipient.address}: accepted${retried}`);
      else
        log.info(`  ✖ ${recipient.address}: refused${recipient.response ? ` (${recipient.response})` : ""}`);
    }

    return {
      ok: accepted.length > 0,
      summary:
        accepted.length > 0
          ? `mail "${plan.subject}" accepted for ${accepted.length} of ${result.recipients.length} recipient(s)`
          : `the server refused every recipient of "${plan.subject}"`,
      outputs: {
        sent: accepted.length > 0 ? "true" : "false",
        message_id: result.messageId,
        accepted: accepted.map((recipient) => recipient.address).join(","),
        refused: refused.map((recipient) => recipient.address).join(","),
      },
      card: {
        title: `Mail: ${plan.subject}`,
        status: accepted.length > 0 ? "success" : "failure",
        facts: [
          { name: "Server", value: `${server.host}:${server.port} (${server.tls})` },
          { name: "Accepted", value: accepted.map((recipient) => recipient.address).join(", ") || "none" },
          ...(refused.length > 0
            ? [{ name: "Refused", value: refused.map((recipient) => recipient.address).join(", ") }]
            : []),
          { name: "Attachments", value: String(plan.attachments.length) },
        ],
      },
    };
  },
};
