import { writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createTlsCertificate,
  type HostileServer,
  type SmtpServer,
  secretLeaks,
  startHostileServer,
  type TlsCertificate,
  testbed,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, perTest, runNotifyEmail } from "./helpers.ts";
import { startTemplateServer, type TemplateServer } from "./template-server.ts";

/**
 * drone-email's "Custom Templates": `subject` and `body` given as a URL are fetched once, before
 * any SMTP connection, under `timeout` and the plugin's TLS rules; a failed fetch is a settings
 * error that names the URL without its credentials.
 */

const PASSWORD = "smtp-Pa55word";
const TOKEN = "tpl-T0ken-9f8e7d6c";
const BODY =
  "<h1>{{ repo.name }} #{{ build.number }} is {{ uppercase build.status }}</h1><p>by {{ commit.author.name }}</p>";

const smtp = await testbed.smtp({ mode: "starttls", auth: { username: "ci", password: PASSWORD } });
afterAll(() => smtp?.stop());

let certificate: TlsCertificate;
beforeAll(async () => {
  certificate = await createTlsCertificate();
});
afterAll(() => certificate?.remove());

const { workspace } = perTest({ servers: [smtp] });
const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function templates(...args: Parameters<typeof startTemplateServer>): Promise<TemplateServer> {
  const server = await startTemplateServer(...args);
  servers.push(server);
  return server;
}
async function hostile(...args: Parameters<typeof startHostileServer>): Promise<HostileServer> {
  const server = await startHostileServer(...args);
  servers.push(server);
  return server;
}

function settingsFor(server: SmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return droneEnv({
    PLUGIN_HOST: server.host,
    PLUGIN_PORT: String(server.port),
    PLUGIN_USERNAME: "ci",
    PLUGIN_PASSWORD: PASSWORD,
    PLUGIN_FROM: "CI <ci@example.com>",
    PLUGIN_RECIPIENTS: "team@example.com",
    PLUGIN_RECIPIENTS_ONLY: "true",
    PLUGIN_CA_CERT: server.caPem,
    PLUGIN_TIMEOUT: "5s",
    ...extra,
  });
}

describe.skipIf(!smtp)("subject and body fetched from a URL", () => {
  const server = smtp as SmtpServer;

  it("renders templates fetched over plain http once each, and warns that http can be changed on the way", async () => {
    const site = await templates({
      "/body.hbs": BODY,
      "/subject.hbs": "[{{ build.status }}] {{ repo.fullName }}",
    });
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${site.url}/body.hbs`, PLUGIN_SUBJECT: `${site.url}/subject.hbs` }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await server.waitForMessages(1);
    expect(message?.parsed.subject).toBe("[failure] acme/app");
    expect(message?.parsed.html).toContain("<h1>app #42 is FAILURE</h1><p>by Jane Doe</p>");
    expect(message?.parsed.text).toContain("app #42 is FAILURE");
    expect(site.requests.map((request) => request.path).sort()).toEqual(["/body.hbs", "/subject.hbs"]);
    expect(run.stderr).toContain(`body: the template is fetched over plain http from ${site.url}/body.hbs`);
    expect(run.stdout).toContain(
      `body template: ${Buffer.byteLength(BODY)} bytes fetched from ${site.url}/body.hbs`,
    );
  });

  it("fetches over https trusting ca_cert, the same bundle that trusts the SMTP server", async () => {
    const site = await templates({ "/mail.html": BODY }, certificate);
    const run = await runNotifyEmail(
      settingsFor(server, {
        PLUGIN_BODY: `${site.url}/mail.html`,
        PLUGIN_CA_CERT: `${server.caPem}\n${certificate.caPem}`,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const [message] = await server.waitForMessages(1);
    expect(message?.parsed.html).toContain("<h1>app #42 is FAILURE</h1>");
    expect(run.stderr).not.toContain("plain http");
  });

  it("refuses an https template whose certificate is not trusted, as a settings error before any SMTP connection", async () => {
    const site = await templates({ "/mail.html": BODY }, certificate);
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${site.url}/mail.html` }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`- body: cannot fetch ${site.url}/mail.html: .*certificate.*\\[E_TEMPLATE_FETCH\\]`),
    );
    expect(server.stats.connections).toBe(0);

    // skip_verify covers the template as it covers the SMTP server, with its warning.
    const insecure = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${site.url}/mail.html`, PLUGIN_SKIP_VERIFY: "true" }),
      workspace.dir,
    );
    expect(insecure.code, insecure.output).toBe(0);
    expect(insecure.stderr).toContain("skip_verify is on");
  });

  it("prints the fetched template's size and source in a dry run, and the rendered body, never the URL as the body", async () => {
    const site = await templates({ "/body.hbs": BODY });
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${site.url}/body.hbs`, PLUGIN_DRY_RUN: "true" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      `source:  body template: ${Buffer.byteLength(BODY)} bytes fetched from ${site.url}/body.hbs`,
    );
    expect(run.stdout).toContain("app #42 is FAILURE");
    expect(run.stdout).not.toMatch(new RegExp(`^${site.url}/body.hbs$`, "m"));
    expect(site.requests).toHaveLength(1);
    expect(server.stats.connections).toBe(0);
  });

  it("names a template that is missing or does not compile, before any SMTP connection", async () => {
    const site = await templates({ "/broken.hbs": "<p>{{#if build.status}}unclosed</p>" });
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${site.url}/broken.hbs`, PLUGIN_SUBJECT: `${site.url}/gone.hbs` }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain(
      `- subject: cannot fetch ${site.url}/gone.hbs: the server answered 404 Not Found`,
    );
    expect(run.stderr).toContain("- body: is not a usable template");
    expect(server.stats.connections).toBe(0);
  });

  it("reads a subject from a file:// path in the workspace, as drone-email reads file:// templates", async () => {
    await writeFile(path.join(workspace.dir, "subject.hbs"), "{{ repo.fullName }} is {{ build.status }}\n");
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_SUBJECT: "file://subject.hbs", PLUGIN_DRY_RUN: "true" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("subject: acme/app is failure");
    expect(run.stdout).toContain("source:  subject template: subject.hbs");
  });

  it("refuses a redirect from https to plain http", async () => {
    const site = await templates(
      { "/mail.html": { status: 301, location: "http://127.0.0.1:1/mail.html" } },
      certificate,
    );
    const run = await runNotifyEmail(
      settingsFor(server, {
        PLUGIN_BODY: `${site.url}/mail.html`,
        PLUGIN_CA_CERT: `${server.caPem}\n${certificate.caPem}`,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain(
      "redirected from https to plain http (http://127.0.0.1:1/mail.html), refused",
    );
  });

  it("sends the URL's credentials to its own origin only, and keeps them out of every message", async () => {
    // The template lives elsewhere: the redirect target must not see the token.
    const elsewhere = await hostile({ mode: "echo", status: 200 });
    const site = await templates({
      "/private.hbs": { status: 302, location: `${elsewhere.url}/public.hbs` },
    });
    const url = `${site.url.replace("://", `://deploy:${TOKEN}@`)}/private.hbs?access_token=${TOKEN}`;
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: url, PLUGIN_DRY_RUN: "true" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(site.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`deploy:${TOKEN}`).toString("base64")}`,
    );
    expect(elsewhere.received).toHaveLength(1);
    expect(elsewhere.received[0]).not.toMatch(/authorization/i);
    expect(secretLeaks(elsewhere.received[0] ?? "", TOKEN)).toEqual([]);
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
  });

  it("reports a refused fetch with the URL masked, even when the server echoes the credentials", async () => {
    const echo = await hostile({ mode: "echo", status: 401 });
    const url = `${echo.url.replace("://", `://deploy:${TOKEN}@`)}/private.hbs?token=${TOKEN}`;
    const run = await runNotifyEmail(settingsFor(server, { PLUGIN_BODY: url }), workspace.dir);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain(
      `- body: cannot fetch http://***@127.0.0.1:${echo.port}/private.hbs?token=***: the server answered 401`,
    );
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
    expect(server.stats.connections).toBe(0);
  });
});

describe.skipIf(!smtp)("a template URL on a server that never finishes answering", () => {
  const server = smtp as SmtpServer;

  it("gives up on a black hole within timeout, as a settings error", async () => {
    const hole = await hostile({ mode: "black-hole" });
    const started = Date.now();
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${hole.url}/mail.hbs`, PLUGIN_TIMEOUT: "2s" }),
      workspace.dir,
    );
    expect((Date.now() - started) / 1000).toBeLessThan(5);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain(
      `- body: cannot fetch ${hole.url}/mail.hbs: no complete answer within 2s (timeout)`,
    );
    expect(server.stats.connections).toBe(0);
  }, 15_000);

  it("stops reading an endless answer at the size cap, as a settings error", async () => {
    const endless = await hostile({ mode: "endless" });
    const started = Date.now();
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_SUBJECT: `${endless.url}/subject`, PLUGIN_TIMEOUT: "3s" }),
      workspace.dir,
    );
    expect((Date.now() - started) / 1000).toBeLessThan(6);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toMatch(
      /- subject: cannot fetch http:\/\/127\.0\.0\.1:\d+\/subject: (the template is over the 1048576-byte limit|no complete answer within 3s)/,
    );
    expect(server.stats.connections).toBe(0);
  }, 15_000);

  it("gives up on an answer dribbled a byte at a time within timeout", async () => {
    const dribble = await hostile({
      mode: "dribble",
      greeting: "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<p>",
      intervalMs: 50,
    });
    const started = Date.now();
    const run = await runNotifyEmail(
      settingsFor(server, { PLUGIN_BODY: `${dribble.url}/mail.hbs`, PLUGIN_TIMEOUT: "2s" }),
      workspace.dir,
    );
    expect((Date.now() - started) / 1000).toBeLessThan(5);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain("no complete answer within 2s (timeout)");
  }, 15_000);
});
