import {
  errorMessage,
  formatDuration,
  HangarError,
  looksLikePem,
  type MatchedFile,
  matchFiles,
  readCaCert,
  type SettingProblem,
  type SettingsCheck,
} from "@hangar/kit";
import { DEFAULT_HTML, DEFAULT_TEXT } from "./default-mail.ts";
import { dedupeRecipients, describeInvalidLines, isAddress, readRecipientsFile } from "./recipients.ts";
import { isTemplateUrl, maskUrl, urlCredentials } from "./remote-template.ts";
import { compileTemplate, htmlToText, type Render } from "./render.ts";
import { readFailure } from "./setting-files.ts";
import { type Context, type NotifyEmailSchema, notifyEmailSettings, type Settings } from "./settings.ts";
import { templateData } from "./template-data.ts";
import { readTemplate, type TemplateSetting } from "./templates.ts";
import { decideSending, type SendDecision } from "./when.ts";

export interface MailPlan {
  decision: SendDecision;
  server: {
    host: string;
    port: number;
    tls: "starttls" | "tls" | "none";
    skipVerify: boolean;
    ca?: string | undefined;
    clientHostname?: string | undefined;
    timeoutMs: number;
    auth?: { user: string; pass: string } | undefined;
  };
  from: { name?: string | undefined; address: string };
  to: string[];
  cc: string[];
  bcc: string[];
  /** Why the commit author is not among the recipients, when they are not. */
  authorNote?: string | undefined;
  subject: string;
  html: string;
  text: string;
  attachments: MatchedFile[];
  /** Where subject and body templates were read or fetched from, for the dry run. */
  templateSources: string[];
}

const MIB = 1024 * 1024;
/** The `timeout` default, for a check that runs when `timeout` itself did not parse. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Everything that can be wrong with the settings, found before any connection is made. */
export const checkSettings: SettingsCheck<NotifyEmailSchema> = async (settings, context) => {
  const problems: SettingProblem[] = [];
  const { problem } = context;
  const workspace = context.build.workspace;

  if (settings.from === undefined && settings["from.address"] === undefined) {
    problems.push(
      problem("from", "E_SETTING_REQUIRED", "is required: set `from` (`Name <address>`) or `from.address`"),
    );
  } else if (
    settings.from !== undefined &&
    settings["from.address"] === undefined &&
    !parseFrom(settings.from)
  ) {
    problems.push(
      problem("from", "E_SETTING_INVALID", "must be an address or `Name <address>`", settings.from),
    );
  }
  if (settings.password !== undefined && settings.username === undefined) {
    problems.push(problem("username", "E_SETTING_REQUIRED", "is required when `password` is set"));
  }
  if (settings.username !== undefined && settings.password === undefined) {
    problems.push(problem("password", "E_SETTING_REQUIRED", "is required when `username` is set"));
  }

  let listed = (settings.recipients?.length ?? 0) + (settings.cc?.length ?? 0) + (settings.bcc?.length ?? 0);
  if (settings.recipients_file !== undefined) {
    try {
      const file = await readRecipientsFile(workspace, settings.recipients_file);
      listed += file.addresses.length;
      if (file.invalid.length > 0) {
        problems.push(
          problem(
            "recipients_file",
            "E_SETTING_LIST_ITEM",
            `has lines that are not e-mail addresses: ${describeInvalidLines(file.invalid)}`,
            settings.recipients_file,
          ),
        );
      }
    } catch (error) {
      const failure = readFailure("recipients_file", error);
      problems.push(problem("recipients_file", failure.code, failure.message, settings.recipients_file));
    }
  }
  const author = context.build.commit.author.email;
  if (listed === 0 && (settings.recipients_only || !author || !isAddress(author))) {
    problems.push(
      problem(
        "recipients",
        "E_SETTING_REQUIRED",
        settings.recipients_only
          ? "is required with `recipients_only: true`"
          : "is required: the build has no commit author address to mail",
      ),
    );
  }

  // ca_cert first: a template URL is fetched trusting what the SMTP connection trusts.
  let ca: string | undefined;
  let caUsable = true;
  if (settings.ca_cert !== undefined) {
    try {
      ca = await readCaCert(workspace, settings.ca_cert);
      if (!looksLikePem(ca)) {
        caUsable = false;
        problems.push(problem("ca_cert", "E_SETTING_INVALID", "holds no PEM certificate", settings.ca_cert));
      }
    } catch (error) {
      caUsable = false;
      const failure = readFailure("ca_cert", error);
      problems.push(problem("ca_cert", failure.code, failure.message, settings.ca_cert));
    }
  }

  const templates: [TemplateSetting, string | undefined, boolean][] = [
    // The built-in subject is known to compile.
    [
      "subject",
      settings.subject === notifyEmailSettings.subject.default ? undefined : settings.subject,
      false,
    ],
    ["body", settings.body, true],
  ];
  for (const [setting, value, html] of templates) {
    if (value === undefined) continue;
    const shown = isTemplateUrl(value) ? maskUrl(value) : value;
    if (isTemplateUrl(value)) {
      for (const credential of urlCredentials(value)) context.log.mask.add(credential);
      // Without a usable ca_cert the fetch would fail for that reason, reported already.
      if (!caUsable) continue;
    }
    try {
      const template = await readTemplate(setting, value, {
        run: context,
        workspace,
        fetch: fetchOptions(settings, ca),
      });
      const failure = await templateFailure(template.text, html);
      if (failure) problems.push(problem(setting, "E_SETTING_TEMPLATE", failure, shown));
    } catch (error) {
      const failure =
        error instanceof HangarError && error.code === "E_TEMPLATE_FETCH"
          ? { code: error.code, message: error.message }
          : readFailure(setting, error);
      problems.push(problem(setting, failure.code, failure.message, shown));
    }
  }

  const attachments = attachmentPatterns(settings);
  if (attachments.length > 0 && settings.attachments_max_size !== undefined) {
    try {
      const { files } = await matchFiles(workspace, attachments);
      const total = files.reduce((sum, file) => sum + file.size, 0);
      if (total > settings.attachments_max_size * MIB) {
        problems.push(
          problem(
            "attachments",
            "E_ATTACHMENTS_TOO_LARGE",
            `match ${(total / MIB).toFixed(1)} MiB, over \`attachments_max_size\` (${settings.attachments_max_size} MiB): attach fewer files or raise the limit`,
            attachments.join(", "),
          ),
        );
      }
    } catch (error) {
      problems.push(problem("attachments", "E_SETTING_FILE", errorMessage(error), attachments.join(", ")));
    }
  }
  return problems;
};

/** The mail to send, fully rendered; settings were checked by `checkSettings`. */
export async function planMail(settings: Settings, context: Context): Promise<MailPlan> {
  const { build, log } = context;
  const workspace = build.workspace;
  const data = templateData(build, context.env);

  const recipients = [...(settings.recipients ?? [])];
  if (settings.recipients_file)
    recipients.push(...(await readRecipientsFile(workspace, settings.recipients_file)).addresses);
  let authorNote: string | undefined;
  const author = build.commit.author.email;
  if (settings.recipients_only) authorNote = "the commit author is not mailed (`recipients_only`)";
  else if (!author) authorNote = "the build names no commit author address";
  else if (!isAddress(author))
    authorNote = `the commit author address "${author}" is not valid and is left out`;
  else recipients.push(author);
  const lists = dedupeRecipients({ to: recipients, cc: settings.cc ?? [], bcc: settings.bcc ?? [] });

  let html: Render;
  let renderedHtml: string | undefined;
  let text: Render;
  const ca = settings.ca_cert ? await readCaCert(workspace, settings.ca_cert) : undefined;
  const sources: string[] = [];
  const read = async (setting: TemplateSetting, value: string) => {
    if (isTemplateUrl(value) && /^http:/i.test(value.trim()))
      log.warn(
        `${setting}: the template is fetched over plain http from ${maskUrl(value)}: anyone on the way can change the mail; prefer https`,
      );
    const template = await readTemplate(setting, value, {
      run: context,
      workspace,
      fetch: fetchOptions(settings, ca),
    });
    if (template.fetched)
      sources.push(
        `${setting} template: ${template.fetched.bytes} bytes fetched from ${template.fetched.source}`,
      );
    else if (template.file) sources.push(`${setting} template: ${template.file}`);
    return template.text;
  };

  if (settings.body === undefined) {
    html = await compileTemplate(DEFAULT_HTML, { html: true, check: false });
    text = await compileTemplate(DEFAULT_TEXT, { html: false, check: false });
  } else {
    const render = await compileTemplate(await read("body", settings.body), { html: true });
    html = render;
    text = (values) => htmlToText(render(values));
  }
  const subject = await compileTemplate(await read("subject", settings.subject), { html: false });

  const patterns = attachmentPatterns(settings);
  const attachments = patterns.length ? await matchFiles(workspace, patterns) : undefined;
  for (const pattern of attachments?.unmatched ?? [])
    log.warn(`attachment pattern "${pattern}" matches no file`);

  const tls = settings.no_starttls && settings.tls === "starttls" ? "none" : settings.tls;
  if (settings.skip_verify && tls !== "none")
    log.warn(
      "skip_verify is on: the SMTP server's certificate is not checked, so the password could go to an impostor",
    );
  if (tls === "none" && settings.password)
    log.warn("tls is none: the password and the mail cross the network unencrypted");

  const from = settings["from.address"]
    ? { name: settings["from.name"], address: settings["from.address"] }
    : (parseFrom(settings.from ?? "") as { name?: string; address: string });

  return {
    decision: decideSending(settings.on, build.build.status, build.build.previousStatus),
    server: {
      host: settings.host,
      port: settings.port ?? (tls === "tls" ? 465 : 587),
      tls,
      skipVerify: settings.skip_verify,
      ca,
      clientHostname: settings.client_hostname,
      timeoutMs: settings.timeout,
      auth:
        settings.username && settings.password
          ? { user: settings.username, pass: settings.password }
          : undefined,
    },
    from,
    ...lists,
    authorNote,
    subject: subject(data).replace(/\s+/g, " ").trim(),
    templateSources: sources,
    // Rendered when first read (by the sender), not for a dry run or a status that mails nobody.
    get html() {
      renderedHtml ??= html(data);
      return renderedHtml;
    },
    text: text(data),
    attachments: attachments?.files ?? [],
  };
}

/** `attachments` (globs) and drone-email's `attachment` (one file): both are attached. */
function attachmentPatterns(settings: Partial<Settings>): string[] {
  return [...(settings.attachments ?? []), ...(settings.attachment ? [settings.attachment] : [])];
}

function fetchOptions(settings: Partial<Settings>, ca: string | undefined) {
  return {
    timeoutMs: settings.timeout ?? DEFAULT_TIMEOUT_MS,
    ca,
    skipVerify: settings.skip_verify === true,
  };
}

/** Why a user's template does not compile, or undefined when it does. */
async function templateFailure(source: string, html: boolean): Promise<string | undefined> {
  try {
    await compileTemplate(source, { html });
    return undefined;
  } catch (error) {
    return `is not a usable template: ${errorMessage(error)}`;
  }
}

/** `CalChat CI <ci@example.com>` or `ci@example.com`. */
export function parseFrom(value: string): { name?: string; address: string } | undefined {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  if (match) {
    const [, name = "", address = ""] = match;
    return isAddress(address.trim())
      ? { name: name.trim() || undefined, address: address.trim() }
      : undefined;
  }
  return isAddress(value.trim()) ? { address: value.trim() } : undefined;
}

export function describePlan(plan: MailPlan): string {
  const { server } = plan;
  const lines = [
    plan.decision.send ? `would send: ${plan.decision.reason}` : `would not send: ${plan.decision.reason}`,
    `server:  ${server.host}:${server.port} (${server.tls}${server.skipVerify ? ", certificate not verified" : ""}), ${server.auth ? `AUTH as ${server.auth.user}` : "no AUTH"}, timeout ${formatDuration(server.timeoutMs)}`,
    `from:    ${plan.from.name ? `${plan.from.name} <${plan.from.address}>` : plan.from.address}`,
    `to:      ${plan.to.join(", ") || "-"}`,
  ];
  if (plan.cc.length) lines.push(`cc:      ${plan.cc.join(", ")}`);
  if (plan.bcc.length) lines.push(`bcc:     ${plan.bcc.join(", ")}`);
  if (plan.authorNote) lines.push(`note:    ${plan.authorNote}`);
  lines.push(`subject: ${plan.subject}`);
  for (const source of plan.templateSources) lines.push(`source:  ${source}`);
  for (const file of plan.attachments) lines.push(`attach:  ${file.relative} (${file.size} bytes)`);
  lines.push("", plan.text);
  return lines.join("\n");
}
