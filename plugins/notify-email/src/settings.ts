import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and check.ts read them, and the context they are read in. */
export type Settings = SettingsOf<NotifyEmailSchema>;
export type Context = PlanContext<NotifyEmailSchema>;

/**
 * Every setting of notify-email. Names follow drillster/drone-email where the two overlap,
 * so an existing step keeps working when only its image changes.
 */

const address = z.email({ error: "is not an e-mail address" });

export const STATUSES = ["success", "failure", "changed", "fixed"] as const;
export const TLS_MODES = ["starttls", "tls", "none"] as const;

export const notifyEmailSettings = {
  host: s.string()({
    description: "SMTP server host name.",
    required: true,
    env: ["EMAIL_HOST", "SMTP_HOST"],
    example: "smtp.example.com",
  }),
  port: s.integer({ min: 1, max: 65535 })({
    description: "SMTP server port.",
    defaultText: "`587`, or `465` with `tls: tls`",
    env: ["EMAIL_PORT", "SMTP_PORT"],
  }),
  username: s.string()({
    description: "User name for SMTP AUTH; without it the mail is sent unauthenticated.",
    env: ["EMAIL_USERNAME", "SMTP_USERNAME"],
  }),
  password: s.secret({
    description: "Password for SMTP AUTH. Use `from_secret`.",
    env: ["EMAIL_PASSWORD", "SMTP_PASSWORD"],
  }),
  from: s.string()({
    description: "Sender, as `Name <address>` or an address. Either this or `from.address` is needed.",
    env: ["EMAIL_FROM"],
    example: "CalChat CI <ci@example.com>",
  }),
  "from.address": s.string(address)({ description: "Sender address, when given apart from its name." }),
  "from.name": s.string()({ description: "Sender display name, with `from.address`." }),
  recipients: s.list(address)({
    description: "Addresses that get every mail.",
    env: ["EMAIL_RECIPIENTS"],
    example: "[team@example.com, lead@example.com]",
  }),
  recipients_file: s.string()({
    description:
      "Workspace file with more recipients, one address a line (`#` starts a comment). A symlink out of the workspace is refused; a bad line is reported by its number, not its text.",
    env: ["EMAIL_RECIPIENTS_FILE"],
  }),
  recipients_only: s.boolean({
    description: "Mail only the listed recipients; when false the commit author is mailed too.",
    default: false,
  }),
  cc: s.list(address)({ description: "Addresses in Cc." }),
  bcc: s.list(address)({ description: "Addresses in Bcc (not visible to the others)." }),
  subject: s.string()({
    description:
      "Subject line, a Handlebars template with drone-email's variables (`build.status`, `repo.name`, `commit.branch` …); or an `http(s)://` URL (or `file://` path) to read it from.",
    default:
      "[{{ build.status }}] {{ repo.owner }}/{{ repo.name }} ({{ commit.branch }} - {{ truncate commit.sha 8 }})",
    expand: false,
  }),
  body: s.string()({
    description:
      "HTML body, a Handlebars template: inline text, a workspace path, a `file://` URL (a symlink out of the workspace is refused), or an `http(s)://` URL fetched once before sending (within `timeout`, at most 1 MiB, trusting `ca_cert`). The default is a status mail readable on phones and in dark mode.",
    defaultText: "built-in status mail",
    expand: false,
  }),
  attachments: s.list()({
    description:
      "Workspace files to attach, as globs (`reports/*.html`). A glob that matches nothing is a warning.",
  }),
  attachment: s.string()({
    description:
      "One workspace file to attach, drone-email's singular form; attached together with `attachments`. An absolute path must lie inside the workspace.",
  }),
  attachments_max_size: s.integer({ min: 1, max: 100 })({
    description: "Largest total size of the attachments, in MiB; more is a settings error.",
    default: 10,
  }),
  tls: s.enum(TLS_MODES)({
    description:
      "`starttls`: upgrade the connection and refuse to send without TLS; `tls`: implicit TLS (port 465); `none`: plain text, for a relay on the same host.",
    default: "starttls",
  }),
  no_starttls: s.boolean({
    description: "drone-email's switch; `true` means `tls: none`. Prefer `tls`.",
    default: false,
  }),
  skip_verify: s.boolean({
    description:
      "Accept any TLS certificate, the SMTP server's and a template URL's. Prints a warning; prefer `ca_cert`.",
    default: false,
  }),
  ca_cert: s.string()({
    description:
      "PEM certificate(s) to trust for the SMTP server and an `https://` template URL, inline or a workspace path (a symlink out of the workspace is refused).",
  }),
  client_hostname: s.string()({
    description: "Name this client gives in EHLO.",
    defaultText: "the container's host name",
    aliases: ["clienthostname"],
    env: ["EMAIL_CLIENTHOSTNAME"],
  }),
  on: s.list({ choices: STATUSES })({
    description:
      "Send only when the build is `success` or `failure`, `changed` from the previous build's status, or `fixed` after a failure. The previous status is known on Woodpecker; on Drone `changed` and `fixed` cannot match.",
    default: [...STATUSES],
  }),
  timeout: s.duration({ min: 1000, max: 600_000 })({
    description:
      "How long one attempt may take, from connecting to the server's last reply, however the server spreads its answers; attachments add the time to upload them at 128 KiB/s. A timed-out attempt is not repeated. A template URL's fetch, redirects included, gets the same time, before any connection.",
    default: 30_000,
  }),
};

export type NotifyEmailSchema = typeof notifyEmailSettings;
