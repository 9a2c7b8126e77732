import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type SmtpServer, testbed } from "@hangar/testbed";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { droneEnv, perTest, runNotifyEmail } from "./helpers.ts";
import { startTemplateServer, type TemplateServer } from "./template-server.ts";

/**
 * Every example in drillster/drone-email's DOCS.md and README, with the settings Drone derives
 * from it (PLUGIN_ + the key upper-cased, lists comma-joined), run unchanged against the test
 * bed's SMTP server. Only where the mail goes is the test bed's: `host` is its address, `port`
 * its port, and `ca_cert` trusts its throw-away CA (standing in for the publicly trusted
 * certificate smtp.mailgun.org has), except in the skip_verify example, which needs none.
 */

// The examples' own credentials.
const USER = "octocat";
const PASSWORD = "12345";
/** The examples' server and login. */
const MAILGUN = { PLUGIN_HOST: "smtp.mailgun.org", PLUGIN_USERNAME: USER, PLUGIN_PASSWORD: PASSWORD };

const starttls = await testbed.smtp({ mode: "starttls", auth: { username: USER, password: PASSWORD } });
const plain = await testbed.smtp({ mode: "none", auth: { username: USER, password: PASSWORD } });
afterAll(async () => {
  await starttls?.stop();
  await plain?.stop();
});

const { workspace, mail } = perTest({ servers: [starttls, plain] });
let site: TemplateServer | undefined;
afterEach(async () => {
  await site?.stop();
  site = undefined;
});

/** The test bed in place of smtp.mailgun.org. */
function at(server: SmtpServer, trust = true): Record<string, string> {
  return {
    PLUGIN_HOST: server.host,
    PLUGIN_PORT: String(server.port),
    ...(trust && server.mode !== "none" ? { PLUGIN_CA_CERT: server.caPem } : {}),
  };
}

/** A body in the manner of drone-email's default template: its variables and helpers. */
const DRONE_EMAIL_STYLE_BODY = `<html><body>
{{#success build.status}}<a href="{{ build.link }}">Successful build #{{ build.number }}</a>{{else}}<a href="{{ build.link }}">Failed build #{{ build.number }}</a>{{/success}}
<p>Repository: {{ repo.owner }}/{{ repo.name }}</p>
<p>Author: {{ commit.author.name }} ({{ commit.author.email }})</p>
<p>Branch: {{ commit.branch }}</p>
<p>Commit: {{ truncate commit.sha 8 }}</p>
<p>Started: {{ datetime build.created "Mon Jan 2 15:04:05 MST 2006" "UTC" }}</p>
<p>Took: {{ duration build.started build.finished }}</p>
<p>Link: https://example.com/?q={{#urlencode}}{{ repo.fullName }} & co{{/urlencode}}</p>
<p>Message: {{ commit.message }}</p>
</body></html>`;

describe.skipIf(!starttls || !plain)("drone-email's documented examples, unchanged", () => {
  const smtp = starttls as SmtpServer;
  const relay = plain as SmtpServer;

  it("DOCS.md Example: from.address, from.name, host, username, password, recipients", async () => {
    const run = await mail({
      "PLUGIN_FROM.ADDRESS": "noreply@github.com",
      "PLUGIN_FROM.NAME": "John Smith",
      ...MAILGUN,
      PLUGIN_RECIPIENTS: "octocat@github.com",
      ...at(smtp),
    });
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.user).toBe(USER);
    expect(message?.parsed.from?.value).toEqual([{ address: "noreply@github.com", name: "John Smith" }]);
    // Besides the recipients, the commit author, as drone-email does without recipients_only.
    expect(message?.envelope.rcptTo.sort()).toEqual(["jane@example.com", "octocat@github.com"]);
    // drone-email's default subject.
    expect(message?.parsed.subject).toBe("[failure] acme/app (main - 3f2a9c1d)");
  });

  it("DOCS.md Secrets: username and password from the secret store arrive as the same variables", async () => {
    const run = await mail({
      "PLUGIN_FROM.ADDRESS": "noreply@github.com",
      ...MAILGUN,
      PLUGIN_RECIPIENTS: "octocat@github.com",
      ...at(smtp),
    });
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.parsed.from?.value).toEqual([{ address: "noreply@github.com", name: "" }]);
    expect(run.output).not.toContain(`${PASSWORD}@`);
  });

  it("DOCS.md Custom Templates: a subject template and a body from a URL", async () => {
    site = await startTemplateServer({ "/vgvPz": DRONE_EMAIL_STYLE_BODY });
    const run = await mail({
      "PLUGIN_FROM.ADDRESS": "noreply@github.com",
      ...MAILGUN,
      // YAML's folded `>` joins the lines with spaces and keeps the final newline.
      PLUGIN_SUBJECT:
        "[{{ build.status }}] {{ repo.owner }}/{{ repo.name }} ({{ build.branch }} - {{ truncate build.commit 8 }})\n",
      PLUGIN_BODY: `${site.url}/vgvPz`,
      ...at(smtp),
    });
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.envelope.rcptTo).toEqual(["jane@example.com"]);
    expect(message?.parsed.subject).toBe("[failure] acme/app (main - 3f2a9c1d)");
    const html = message?.parsed.html || "";
    expect(html).toContain('<a href="https://drone.example.com/acme/app/42">Failed build #42</a>');
    expect(html).toContain("Author: Jane Doe (jane@example.com)");
    expect(html).toContain("Commit: 3f2a9c1d");
    // Go's layout and zone, as drone-email's default template asks for them.
    expect(html).toContain("Started: Tue Nov 14 22:13:20 UTC 2023");
    expect(html).toContain("Took: 1m35s");
    expect(html).toContain("https://example.com/?q=acme%2Fapp+%26+co");
    expect(html).toContain("Message: fix(api): handle &lt;empty&gt; calendars &amp; notes");
    expect(message?.parsed.text).toContain("Failed build #42");
    expect(site.requests).toHaveLength(1);
  });

  it("DOCS.md Skip SSL verify: from, skip_verify: true, no CA given", async () => {
    const run = await mail({
      PLUGIN_FROM: "noreply@github.com",
      ...MAILGUN,
      PLUGIN_SKIP_VERIFY: "true",
      ...at(smtp, false),
    });
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.secure).toBe(true);
    expect(message?.envelope.rcptTo).toEqual(["jane@example.com"]);
    expect(run.stderr).toContain("skip_verify is on");
  });

  it("DOCS.md STARTTLS: no_starttls: true sends in plain text to a server without TLS", async () => {
    const run = await mail({
      PLUGIN_FROM: "noreply@github.com",
      ...MAILGUN,
      PLUGIN_NO_STARTTLS: "true",
      ...at(relay),
    });
    expect(run.code, run.output).toBe(0);
    const [message] = await relay.waitForMessages(1);
    expect(message?.secure).toBe(false);
    expect(message?.user).toBe(USER);
    expect(run.stderr).toContain("tls is none: the password and the mail cross the network unencrypted");
  });

  it("README: the docker run example's variables (the commit author is the only recipient)", async () => {
    const run = await runNotifyEmail(
      {
        "PLUGIN_FROM.ADDRESS": "drone@test.test",
        "PLUGIN_FROM.NAME": "John Smith",
        PLUGIN_HOST: "smtp.test.test",
        PLUGIN_USERNAME: USER,
        PLUGIN_PASSWORD: PASSWORD,
        DRONE_REPO_OWNER: "octocat",
        DRONE_REPO_NAME: "hello-world",
        DRONE_COMMIT_SHA: "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
        DRONE_COMMIT_BRANCH: "master",
        DRONE_COMMIT_AUTHOR: "octocat",
        DRONE_COMMIT_AUTHOR_EMAIL: "octocat@test.test",
        DRONE_BUILD_NUMBER: "1",
        DRONE_BUILD_STATUS: "success",
        DRONE_BUILD_LINK: "http://github.com/octocat/hello-world",
        DRONE_COMMIT_MESSAGE: "Hello world!",
        ...at(smtp),
      },
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.envelope.rcptTo).toEqual(["octocat@test.test"]);
    expect(message?.parsed.subject).toBe("[success] octocat/hello-world (master - 7fd1a60b)");
    expect(message?.parsed.text).toContain("Hello world!");
  });

  it("drone-email's env names: EMAIL_HOST, EMAIL_RECIPIENTS_FILE, PLUGIN_CLIENTHOSTNAME", async () => {
    await writeFile(path.join(workspace.dir, "team.txt"), "ops@example.com\n");
    const run = await mail({
      PLUGIN_FROM: "noreply@github.com",
      EMAIL_HOST: smtp.host,
      EMAIL_PORT: String(smtp.port),
      EMAIL_USERNAME: USER,
      EMAIL_PASSWORD: PASSWORD,
      EMAIL_RECIPIENTS_FILE: "team.txt",
      PLUGIN_CLIENTHOSTNAME: "runner-7.example.com",
      PLUGIN_RECIPIENTS_ONLY: "true",
      PLUGIN_CA_CERT: smtp.caPem,
      PLUGIN_DRY_RUN: "true",
    });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("to:      ops@example.com");
    expect(run.stderr).not.toContain("unknown setting");
  });
});

describe.skipIf(!starttls)("drone-email's attachment (one file) beside attachments (globs)", () => {
  const smtp = starttls as SmtpServer;

  async function files(): Promise<void> {
    await mkdir(path.join(workspace.dir, "reports"));
    await mkdir(path.join(workspace.dir, "logs"));
    await writeFile(path.join(workspace.dir, "reports", "summary.html"), "<p>12 passed</p>");
    await writeFile(path.join(workspace.dir, "logs", "a.log"), "a");
    await writeFile(path.join(workspace.dir, "logs", "b.log"), "b");
  }

  function settings(extra: Record<string, string>): Record<string, string> {
    return droneEnv({
      PLUGIN_FROM: "noreply@github.com",
      PLUGIN_USERNAME: USER,
      PLUGIN_PASSWORD: PASSWORD,
      PLUGIN_RECIPIENTS_ONLY: "true",
      PLUGIN_RECIPIENTS: "octocat@github.com",
      ...at(smtp),
      ...extra,
    });
  }

  it("attaches the one file alone, as attachments would", async () => {
    await files();
    const run = await runNotifyEmail(settings({ PLUGIN_ATTACHMENT: "reports/summary.html" }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.parsed.attachments.map((file) => file.filename)).toEqual(["summary.html"]);
    expect(message?.parsed.attachments[0]?.content.toString()).toBe("<p>12 passed</p>");
  });

  it("attaches both when a step has attachment and attachments, as drone-email does", async () => {
    await files();
    const run = await runNotifyEmail(
      settings({ PLUGIN_ATTACHMENT: "reports/summary.html", PLUGIN_ATTACHMENTS: "logs/*.log" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.parsed.attachments.map((file) => file.filename).sort()).toEqual([
      "a.log",
      "b.log",
      "summary.html",
    ]);
  });

  it("takes an absolute path inside the workspace, warns about a missing file and still mails", async () => {
    await files();
    const absolute = path.join(workspace.dir, "reports", "summary.html");
    const run = await runNotifyEmail(settings({ PLUGIN_ATTACHMENT: absolute }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.parsed.attachments.map((file) => file.filename)).toEqual(["summary.html"]);

    smtp.reset();
    const missing = await runNotifyEmail(settings({ PLUGIN_ATTACHMENT: "reports/none.html" }), workspace.dir);
    expect(missing.code, missing.output).toBe(0);
    expect(missing.stderr).toContain('attachment pattern "reports/none.html" matches no file');
    const [bare] = await smtp.waitForMessages(1);
    expect(bare?.parsed.attachments).toEqual([]);
  });

  it("refuses an attachment outside the workspace before connecting", async () => {
    const run = await runNotifyEmail(settings({ PLUGIN_ATTACHMENT: "/etc/passwd" }), workspace.dir);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain("/etc/passwd is outside the workspace");
    expect(smtp.stats.connections).toBe(0);
  });
});
