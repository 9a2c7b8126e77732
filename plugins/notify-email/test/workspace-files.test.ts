import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type SmtpServer, tempWorkspace, testbed, type Workspace } from "@hangar/testbed";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { perTest } from "./helpers.ts";

/**
 * Files named by settings (`recipients_file`, `body`, `ca_cert`) are the repository's own: a
 * symlink out of the workspace is refused before a byte is read, in the dry run too, and no
 * file's content ever reaches the log, not even the line that is wrong.
 */

const smtp = await testbed.smtp({ mode: "starttls" });
afterAll(() => smtp?.stop());

/** What the runner's own files hold, as the link would expose it. */
const OUTSIDE = [
  "root:$6$Zr4Ql1nKsecret-hash$q9RwlYH0:19700:0:99999:7:::",
  "PLUGIN_PASSWORD=outside-Secret-0f-the-runner",
  "DRONE_NETRC_PASSWORD=netrc-token-abcdef123456",
];

const { workspace, mail } = perTest({ servers: [smtp] });
/** A folder beside the workspace, holding `shadow`: what a link in the repository could point at. */
let outside: Workspace;
let outsideFile: string;
beforeEach(async () => {
  outside = await tempWorkspace("notify-email-outside");
  outsideFile = path.join(outside.dir, "shadow");
  await writeFile(outsideFile, `${OUTSIDE.join("\n")}\n`);
});
afterEach(() => outside.remove());

function settingsFor(server: SmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PLUGIN_HOST: server.host,
    PLUGIN_PORT: String(server.port),
    PLUGIN_FROM: "CI <ci@example.com>",
    PLUGIN_CA_CERT: server.caPem,
    PLUGIN_TIMEOUT: "5s",
    ...extra,
  };
}

function expectNothingOf(output: string, lines: readonly string[]): void {
  for (const line of lines) {
    expect(output).not.toContain(line);
    // Not even a part that would identify it.
    for (const part of line.split(/[:=$]/).filter((piece) => piece.length >= 8))
      expect(output).not.toContain(part);
  }
}

describe.skipIf(!smtp)("notify-email reads only the workspace's own files", () => {
  const server = smtp as SmtpServer;

  it("refuses a recipients_file that links out of the workspace, without printing the file or mailing", async () => {
    await symlink(outsideFile, path.join(workspace.dir, "team.txt"));
    const run = await mail(settingsFor(server, { PLUGIN_RECIPIENTS_FILE: "team.txt" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /- recipients_file: cannot be read: team\.txt leads outside the workspace through a symlink.*\[E_PATH_OUTSIDE_WORKSPACE\]/,
    );
    expectNothingOf(run.output, OUTSIDE);
    expect(server.stats.connections).toBe(0);
    expect(server.messages).toHaveLength(0);
  });

  it("refuses a recipients_file linked to /proc/self/environ, printing none of the environment", async () => {
    await symlink("/proc/self/environ", path.join(workspace.dir, "team.txt"));
    const environ = (await readFile("/proc/self/environ", "utf8"))
      .split("\0")
      .filter((entry) => entry.length >= 12);
    const run = await mail(
      settingsFor(server, { PLUGIN_RECIPIENTS_FILE: "team.txt", PLUGIN_DRY_RUN: "true" }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_PATH_OUTSIDE_WORKSPACE]");
    for (const entry of environ) expect(run.output).not.toContain(entry);
    expect(server.stats.connections).toBe(0);
  });

  it("names the bad lines of a real recipients file by number, never by content", async () => {
    const lines = Array.from({ length: 40 }, (_, index) => `dev${index}@example.com`);
    lines[3] = "PLUGIN_PASSWORD=in-repo-Secret-value";
    lines[9] = "two@at@example.com";
    lines[14] = "first last@example.com";
    lines.push(...Array.from({ length: 7 }, (_, index) => `garbage-line-number-${index}`));
    await writeFile(path.join(workspace.dir, "team.txt"), `# the team\n${lines.join("\n")}\n`);
    const run = await mail(settingsFor(server, { PLUGIN_RECIPIENTS_FILE: "team.txt" }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'recipients_file: has lines that are not e-mail addresses: line 5 (no "@"), line 11 (2 "@" signs), line 16 (spaces inside), line 42 (no "@"), line 43 (no "@") and 5 more',
    );
    expect(run.output).not.toContain("in-repo-Secret-value");
    expect(run.output).not.toContain("garbage-line-number");
    expect(run.output).not.toContain("dev0@example.com");
    expect(server.stats.connections).toBe(0);
  });

  for (const [how, value] of [
    ["a template path", "ci/mail.hbs"],
    ["a file:// URL", "file://ci/mail.hbs"],
    ["a bare name", "MAIL"],
  ] as const) {
    it(`refuses a body given as ${how} that links out of the workspace, in the dry run too`, async () => {
      const link = path.join(workspace.dir, value.replace("file://", ""));
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(outsideFile, link);
      for (const dryRun of ["true", "false"]) {
        const run = await mail(settingsFor(server, { PLUGIN_BODY: value, PLUGIN_DRY_RUN: dryRun }));
        expect(run.code, run.output).toBe(2);
        expect(run.stderr).toMatch(
          /- body: cannot be read: .* leads outside the workspace through a symlink/,
        );
        expect(run.stderr).toContain("[E_PATH_OUTSIDE_WORKSPACE]");
        expectNothingOf(run.output, OUTSIDE);
      }
      expect(server.stats.connections).toBe(0);
      expect(server.messages).toHaveLength(0);
    });
  }

  it("refuses a ca_cert that links out of the workspace, even to a real certificate", async () => {
    await symlink(server.caPath, path.join(workspace.dir, "ca.pem"));
    const ca = await readFile(server.caPath, "utf8");
    const run = await mail(
      settingsFor(server, { PLUGIN_CA_CERT: "ca.pem", PLUGIN_RECIPIENTS: "team@example.com" }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /- ca_cert: cannot be read: ca\.pem leads outside the workspace.*\[E_PATH_OUTSIDE_WORKSPACE\]/,
    );
    expect(run.output).not.toContain(ca.split("\n")[1]);
    expect(server.stats.connections).toBe(0);
  });

  it("reads a ca_cert and a body that are the workspace's own files, and mails", async () => {
    await writeFile(path.join(workspace.dir, "ca.pem"), server.caPem);
    await writeFile(path.join(workspace.dir, "mail.hbs"), "<p>{{ build.status }} in {{ repo.name }}</p>");
    // A link that stays inside the workspace is the repository's own file.
    await symlink("mail.hbs", path.join(workspace.dir, "current.hbs"));
    const run = await mail(
      settingsFor(server, {
        PLUGIN_CA_CERT: "ca.pem",
        PLUGIN_BODY: "current.hbs",
        PLUGIN_RECIPIENTS: "team@example.com",
      }),
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await server.waitForMessages(1);
    expect(message?.parsed.html).toContain("<p>failure in app</p>");
  });

  it("takes a subject naming a linked file as the subject's text, never the file", async () => {
    await symlink(outsideFile, path.join(workspace.dir, "subject.txt"));
    const run = await mail(settingsFor(server, { PLUGIN_SUBJECT: "subject.txt", PLUGIN_DRY_RUN: "true" }));
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("subject: subject.txt");
    expectNothingOf(run.output, OUTSIDE);
  });
});
