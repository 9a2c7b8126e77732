import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, type SmtpServer, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, perTest, runNotifyEmail, woodpeckerEnv } from "./helpers.ts";

const PASSWORD = "Tr0ub4dor&3 horse+battery/staple";
const USER = "ci@example.com";
const ENTRY = path.resolve(import.meta.dirname, "../src/index.ts");

const starttls = await testbed.smtp({ mode: "starttls", auth: { username: USER, password: PASSWORD } });
const implicit = await testbed.smtp({ mode: "tls", auth: { username: USER, password: PASSWORD } });

const { workspace, mail } = perTest({ servers: [starttls, implicit] });
afterAll(async () => {
  await starttls?.stop();
  await implicit?.stop();
});

function settingsFor(server: SmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PLUGIN_HOST: server.host,
    PLUGIN_PORT: String(server.port),
    PLUGIN_USERNAME: USER,
    PLUGIN_PASSWORD: PASSWORD,
    PLUGIN_FROM: "Hangar CI <ci@example.com>",
    PLUGIN_CA_CERT: server.caPem,
    PLUGIN_TIMEOUT: "5s",
    ...extra,
  };
}

/** Every form a leaked password could take in a log. */
function expectNoPassword(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(Buffer.from(PASSWORD).toString("base64"));
  expect(text).not.toContain(Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64"));
  expect(text).not.toContain(encodeURIComponent(PASSWORD));
}

describe.skipIf(!starttls || !implicit)("notify-email against a real SMTP server", () => {
  const smtp = starttls as SmtpServer;
  const smtps = implicit as SmtpServer;

  it("sends one mail over STARTTLS with AUTH, as a process, without the password in its output", async () => {
    const cardPath = path.join(workspace.dir, "card.json");
    const env = {
      PATH: process.env.PATH ?? "",
      ...droneEnv(
        settingsFor(smtp, {
          PLUGIN_RECIPIENTS: "team@example.com",
          PLUGIN_CC: "lead@example.com",
          PLUGIN_BCC: "audit@example.com",
          PLUGIN_DEBUG: "true",
        }),
      ),
      DRONE_CARD_PATH: cardPath,
    };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [ENTRY], {
      env,
      cwd: workspace.dir,
    });

    const [message] = await smtp.waitForMessages(1);
    expect(smtp.stats.connections).toBe(1);
    expect(message?.secure).toBe(true);
    expect(message?.user).toBe(USER);
    expect(message?.envelope.rcptTo.sort()).toEqual([
      "audit@example.com",
      "jane@example.com",
      "lead@example.com",
      "team@example.com",
    ]);
    expect(message?.parsed.subject).toBe("[failure] acme/app (main - 3f2a9c1d)");
    expect(message?.parsed.from?.text).toBe('"Hangar CI" <ci@example.com>');
    expect(message?.parsed.headers.get("bcc")).toBeUndefined();
    expect(message?.parsed.html).toContain("Build failed");
    expect(message?.parsed.html).toContain("test, lint");
    expect(message?.parsed.html).toContain('href="https://drone.example.com/acme/app/42"');
    expect(message?.parsed.html).toContain("prefers-color-scheme: dark");
    expect(message?.parsed.html).toContain("fix(api): handle &lt;empty&gt; calendars &amp; notes");
    expect(message?.parsed.text).toContain("Build FAILED: acme/app #42 (push)");

    for (const address of ["team@example.com", "lead@example.com", "audit@example.com", "jane@example.com"]) {
      expect(stdout).toContain(`✔ ${address}: accepted`);
    }
    expectNoPassword(stdout + stderr);

    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.NOTIFY_EMAIL_SENT).toBe("true");
    expect(outputs.NOTIFY_EMAIL_MESSAGE_ID).toBe(message?.parsed.messageId);
    const card = JSON.parse(await readFile(cardPath, "utf8"));
    expect(card.data.status).toBe("success");
    expect(JSON.stringify(card)).not.toContain(PASSWORD);
  });

  it("sends over implicit TLS (tls: tls)", async () => {
    const run = await mail(
      settingsFor(smtps, {
        PLUGIN_TLS: "tls",
        PLUGIN_RECIPIENTS_ONLY: "true",
        PLUGIN_RECIPIENTS: "team@example.com",
      }),
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await smtps.waitForMessages(1);
    expect(message?.secure).toBe(true);
    expect(message?.envelope.rcptTo).toEqual(["team@example.com"]);
  });

  it("says clearly that the login was refused, and never prints the password", async () => {
    const run = await mail(settingsFor(smtp, { PLUGIN_PASSWORD: `${PASSWORD}-wrong` }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused the login for "ci@example.com".*535/);
    expect(run.stderr).toContain("[E_SMTP_AUTH]");
    expect(run.stderr).toContain("Check `username` and `password`");
    expect(smtp.stats.authFailures).toBe(1);
    expect(smtp.messages).toHaveLength(0);
    expectNoPassword(run.output);
  });

  it("names host:port and the timeout when the server cannot be reached", async () => {
    const port = await freePort();
    const run = await mail(settingsFor(smtp, { PLUGIN_PORT: String(port), PLUGIN_TIMEOUT: "2s" }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach the SMTP server 127.0.0.1:${port} (timeout 2s)`);
    expect(run.stderr).toContain("[E_SMTP_CONNECT]");
  }, 30_000);

  it("mails a Woodpecker pipeline's failure with a template from a file and attachments", async () => {
    await mkdir(path.join(workspace.dir, "ci"));
    await mkdir(path.join(workspace.dir, "reports"));
    await writeFile(
      path.join(workspace.dir, "ci", "mail.hbs"),
      "<p>{{ uppercasefirst build.status }}: {{ commit.branch }} by {{ commit.author.email }}</p>",
    );
    await writeFile(path.join(workspace.dir, "reports", "junit.xml"), '<testsuite failures="1"/>');
    await writeFile(path.join(workspace.dir, "reports", "coverage.txt"), "81%");
    const env = woodpeckerEnv(
      settingsFor(smtp, {
        PLUGIN_BODY: "ci/mail.hbs",
        PLUGIN_ATTACHMENTS: "reports/*.xml,reports/*.txt",
        PLUGIN_RECIPIENTS_ONLY: "true",
        PLUGIN_RECIPIENTS: "team@example.com",
      }),
    );
    const run = await runNotifyEmail(env, workspace.dir);
    expect(run.code, run.output).toBe(0);
    const [message] = await smtp.waitForMessages(1);
    expect(message?.parsed.subject).toBe("[failure] acme/app (feature/login - a1b2c3d4)");
    expect(message?.parsed.html).toContain("<p>Failure: feature/login by max@example.com</p>");
    expect(message?.parsed.text).toContain("Failure: feature/login by max@example.com");
    expect(message?.parsed.attachments.map((file) => file.filename).sort()).toEqual([
      "coverage.txt",
      "junit.xml",
    ]);
    expect(
      message?.parsed.attachments.find((file) => file.filename === "junit.xml")?.content.toString(),
    ).toBe('<testsuite failures="1"/>');
  });

  it("sends nothing and opens no connection for a green build with on: failure", async () => {
    const env = droneEnv(settingsFor(smtp, { PLUGIN_ON: "failure", DRONE_BUILD_STATUS: "success" }));
    const run = await runNotifyEmail({ ...env, DRONE_FAILED_STEPS: "" }, workspace.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("not sending: the build is success");
    expect(smtp.stats.connections).toBe(0);
  });

  it("retries a recipient the server defers (4xx), without mailing the others twice", async () => {
    smtp.failNext({ stage: "rcpt", code: 451, count: 1 });
    const run = await mail(settingsFor(smtp, { PLUGIN_RECIPIENTS: "team@example.com" }));
    expect(run.code, run.output).toBe(0);
    const messages = await smtp.waitForMessages(2);
    const delivered = messages.flatMap((message) => message.envelope.rcptTo).sort();
    expect(delivered).toEqual(["jane@example.com", "team@example.com"]);
    expect(run.stderr).toMatch(/sending the mail failed \(attempt 1 of 3\)/);
    expect(run.stdout).toMatch(/accepted after 2 attempts/);
  });

  it("retries when the connection is refused for now (421), not when the mail is refused (554)", async () => {
    smtp.failNext({ stage: "connect", code: 421 });
    const transient = await mail(settingsFor(smtp));
    expect(transient.code, transient.output).toBe(0);
    expect(smtp.stats.connections).toBe(2);

    smtp.reset();
    smtp.failNext({ stage: "data", code: 554 });
    const permanent = await mail(settingsFor(smtp));
    expect(permanent.code).toBe(1);
    expect(permanent.stderr).toContain("554");
    expect(smtp.stats.connections).toBe(1);
  });

  it("reports a refused recipient (5xx) and delivers to the rest", async () => {
    smtp.rejectRecipient("gone@example.com", 550);
    const run = await mail(settingsFor(smtp, { PLUGIN_RECIPIENTS: "gone@example.com,team@example.com" }));
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toMatch(/✖ gone@example.com: refused \(550/);
    expect(run.stdout).toContain("✔ team@example.com: accepted");
    expect(smtp.stats.connections).toBe(1);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.NOTIFY_EMAIL_REFUSED).toBe("gone@example.com");
  });

  it("refuses an untrusted certificate unless told to skip verification, which warns", async () => {
    const { PLUGIN_CA_CERT: _, ...untrusted } = settingsFor(smtp);
    const refused = await mail(untrusted);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[E_SMTP_TLS]");
    expect(smtp.messages).toHaveLength(0);

    const skipped = await mail({ ...untrusted, PLUGIN_SKIP_VERIFY: "true" });
    expect(skipped.code, skipped.output).toBe(0);
    expect(skipped.stderr).toContain("skip_verify is on");
  });

  it("will not send in clear text to a server that does not offer STARTTLS", async () => {
    const plain = await testbed.smtp({ mode: "none" });
    try {
      const run = await mail({
        ...settingsFor(plain as SmtpServer),
        PLUGIN_USERNAME: "",
        PLUGIN_PASSWORD: "",
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/STARTTLS/i);
      expect(plain?.messages).toHaveLength(0);
    } finally {
      await plain?.stop();
    }
  });
});

beforeAll(() => {
  if (!starttls) console.warn("notify-email SMTP tests skipped: no SMTP test bed");
});
