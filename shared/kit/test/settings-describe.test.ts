import { describe, expect, it } from "vitest";
import { z } from "zod";
import { settings } from "../src/settings/define.ts";
import { formatDuration, helpText, settingsTable } from "../src/settings/describe.ts";

const schema = {
  "from.address": settings.string(z.email())({
    description: "Sender | envelope",
    aliases: ["from_email"],
    env: ["MAIL_FROM"],
    example: "ci@example.com",
  }),
  password: settings.secret({ description: "SMTP password", required: true }),
  timeout: settings.duration()({ description: "How long to wait", default: 90_000 }),
  when: settings.list({ choices: ["success", "failure"] })({ description: "When", default: ["failure"] }),
  namespace: settings.string()({
    description: "Namespace",
    template: "name",
    defaultText: "preview-{{ branch }}",
  }),
};

describe("settingsTable", () => {
  const table = settingsTable(schema);
  const rows = table.split("\n");

  it("has a header and one row per setting, with an anchor errors link to", () => {
    expect(rows[0]).toBe("| Setting | Type | Default | Description |");
    expect(rows).toHaveLength(2 + Object.keys(schema).length);
    expect(rows[2]).toContain('<a id="setting-from-address"></a>`from.address`<br>`from_email`');
  });

  it("shows types, defaults, secrets, fallbacks and examples, escaping pipes", () => {
    expect(rows[2]).toContain("Sender \\| envelope");
    expect(rows[2]).toContain("Also read from env `MAIL_FROM`.");
    expect(rows[2]).toContain("Example: `ci@example.com`.");
    expect(rows[3]).toContain("| string (secret) 🔒 | required |");
    expect(rows[4]).toContain("| duration | `90s` |");
    expect(rows[5]).toContain("| list of success, failure | `failure` |");
    expect(rows[6]).toContain("| string | preview-{{ branch }} |");
    expect(rows[6]).toContain("rendered as DNS-safe names");
  });
});

describe("helpText", () => {
  it("lists every setting with its type, flags, default, aliases and fallbacks", () => {
    const text = helpText("notify-email", "Mails the build status.", schema, "https://docs/notify-email.md");
    expect(text).toContain("notify-email: Mails the build status.");
    expect(text).toContain("  from.address  (string)");
    expect(text).toContain("      aliases: from_email");
    expect(text).toContain("      also from: MAIL_FROM");
    expect(text).toContain("  password  (string (secret), secret, required)");
    expect(text).toContain("  timeout  (duration)  [default: 90s]");
    expect(text).toContain("[default: preview-{{ branch }}]");
    expect(text).toContain("Docs: https://docs/notify-email.md");
  });
});

describe("formatDuration", () => {
  it.each([
    [7_200_000, "2h"],
    [300_000, "5m"],
    [90_000, "90s"],
    [1500, "1500ms"],
    [0, "0s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
