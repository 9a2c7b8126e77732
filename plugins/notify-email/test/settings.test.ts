import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { perTest, runNotifyEmail, woodpeckerEnv } from "./helpers.ts";

const { workspace, mail } = perTest();

const base = { PLUGIN_HOST: "127.0.0.1", PLUGIN_PORT: "1", PLUGIN_FROM: "CI <ci@example.com>" };

describe("notify-email settings", () => {
  it("reports every problem at once, before connecting, with codes and docs links", async () => {
    const run = await mail({
      PLUGIN_PORT: "70000",
      PLUGIN_FROM: "not an address",
      PLUGIN_RECIPIENTS: "ok@example.com,broken",
      PLUGIN_TLS: "ssl",
      PLUGIN_SKIP_VERIFY: "maybe",
      PLUGIN_TIMEOUT: "5 minutes",
      PLUGIN_ON: "failure,sometimes",
      PLUGIN_PASSWORD: "s3cret-pa55",
    });
    expect(run.code).toBe(2);
    for (const [setting, code] of [
      ["host", "E_SETTING_REQUIRED"],
      ["port", "E_SETTING_RANGE"],
      ["from", "E_SETTING_INVALID"],
      ["recipients", "E_SETTING_LIST_ITEM"],
      ["tls", "E_SETTING_ENUM"],
      ["skip_verify", "E_SETTING_BOOLEAN"],
      ["timeout", "E_SETTING_DURATION"],
      ["on", "E_SETTING_LIST_ITEM"],
      ["username", "E_SETTING_REQUIRED"],
    ]) {
      expect(run.stderr).toMatch(new RegExp(`- ${setting}: .*\\[${code}\\]`));
      expect(run.stderr).toContain(`notify-email.md#setting-${setting}`);
    }
    expect(run.stderr).toContain("true, yes, on, 1, false, no, off, 0");
    expect(run.output).not.toContain("s3cret-pa55");
    expect(run.stdout).not.toContain("mailing");
  });

  it("reads Woodpecker's spelling of nested settings and drone-email's aliases", async () => {
    const run = await runNotifyEmail(
      woodpeckerEnv({
        PLUGIN_HOST: "mail.example.com",
        PLUGIN_FROM_ADDRESS: "ci@example.com",
        PLUGIN_FROM_NAME: "Woodpecker CI",
        PLUGIN_RECIPIENTS: '["a@example.com","b@example.com"]',
        PLUGIN_RECIPIENTS_ONLY: "true",
        PLUGIN_DRY_RUN: "true",
      }),
      workspace.dir,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("from:    Woodpecker CI <ci@example.com>");
    expect(run.stdout).toContain("to:      a@example.com, b@example.com");
    expect(run.stdout).toContain("the commit author is not mailed");
  });

  it("reads Drone's spelling (PLUGIN_FROM.ADDRESS) and warns about unknown keys with a suggestion", async () => {
    const run = await mail({
      PLUGIN_HOST: "mail.example.com",
      "PLUGIN_FROM.ADDRESS": "ci@example.com",
      "PLUGIN_FROM.NAME": "Drone CI",
      PLUGIN_RECIPENTS: "x@example.com",
      PLUGIN_DRY_RUN: "true",
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("from:    Drone CI <ci@example.com>");
    expect(run.stderr).toContain(
      'unknown setting "recipents" (PLUGIN_RECIPENTS) is ignored: did you mean "recipients"?',
    );
    // Without recipients the commit author is the only one mailed.
    expect(run.stdout).toContain("to:      jane@example.com");
  });

  it("adds the commit author and the recipients file, each address once", async () => {
    await writeFile(
      path.join(workspace.dir, "mailing-list.txt"),
      "# the team\nops@example.com\nJane@Example.com   # the author again\n\n",
    );
    const run = await mail({
      ...base,
      PLUGIN_RECIPIENTS: "lead@example.com,ops@example.com",
      PLUGIN_RECIPIENTS_FILE: "mailing-list.txt",
      PLUGIN_CC: "lead@example.com,qa@example.com",
      PLUGIN_DRY_RUN: "true",
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("to:      lead@example.com, ops@example.com, Jane@Example.com");
    expect(run.stdout).toContain("cc:      qa@example.com");
  });

  it("refuses a recipients file with bad lines and names them", async () => {
    await writeFile(path.join(workspace.dir, "list.txt"), "ops@example.com\nnot-an-address\n");
    const run = await mail({ ...base, PLUGIN_RECIPIENTS_FILE: "list.txt", PLUGIN_DRY_RUN: "true" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('recipients_file: has lines that are not e-mail addresses: line 2 (no "@")');
    expect(run.stderr).not.toContain("not-an-address");
  });

  it("needs someone to mail", async () => {
    const run = await mail({ ...base, DRONE_COMMIT_AUTHOR_EMAIL: "", PLUGIN_DRY_RUN: "true" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("recipients: is required: the build has no commit author address to mail");
  });

  it("reports a body template that does not compile, and a body file that is missing", async () => {
    const broken = await mail({
      ...base,
      PLUGIN_BODY: "<p>{{#if build.status}}unclosed</p>",
      PLUGIN_DRY_RUN: "true",
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("body: is not a usable template");

    const missing = await mail({ ...base, PLUGIN_BODY: "file://ci/mail.hbs", PLUGIN_DRY_RUN: "true" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("body: cannot be read: ci/mail.hbs does not exist in the workspace");
    expect(missing.stderr).toContain("[E_FILE_NOT_FOUND]");
  });

  it("caps the attachments' total size", async () => {
    await mkdir(path.join(workspace.dir, "reports"));
    await writeFile(path.join(workspace.dir, "reports", "big.bin"), Buffer.alloc(1024 * 1024 + 1));
    const run = await mail({
      ...base,
      PLUGIN_ATTACHMENTS: "reports/*.bin",
      PLUGIN_ATTACHMENTS_MAX_SIZE: "1",
      PLUGIN_DRY_RUN: "true",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_ATTACHMENTS_TOO_LARGE]");
  });

  it.each([
    [
      "the port from the TLS mode",
      { PLUGIN_HOST: "smtp.example.com", PLUGIN_TLS: "tls" },
      "smtp.example.com:465 (tls)",
    ],
    ["drone-email's no_starttls", { PLUGIN_HOST: "relay", PLUGIN_NO_STARTTLS: "true" }, "relay:587 (none)"],
  ])("takes %s when no port is given", async (_, settings, server) => {
    const run = await mail({ ...settings, PLUGIN_FROM: "ci@example.com", PLUGIN_DRY_RUN: "true" });
    expect(run.stdout).toContain(`server:  ${server}`);
  });
});
