import nodemailer from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { serverFixture } from "../src/availability.ts";
import { type SmtpServer, startSmtpServer } from "../src/smtp-server.ts";

const auth = { username: "hangar", password: "s3cret-Pa55" };

/** A one-line mail, for tests of the envelope and the server's answers. */
const mail = (to: string | string[], from = "ci@ci.test") => ({ from, to, text: "x" });

function transport(server: SmtpServer, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({
    host: server.host,
    port: server.port,
    secure: server.secure,
    requireTLS: server.mode === "starttls",
    auth: server.auth ? { user: server.auth.username, pass: server.auth.password } : undefined,
    tls: { ca: server.caPem, servername: "localhost" },
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
    ...extra,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<{ responseCode?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { responseCode?: number; message: string };
  }
  throw new Error("expected the SMTP call to fail");
}

describe("SMTP with STARTTLS and AUTH", () => {
  const smtp = serverFixture("an SMTP server", () => startSmtpServer({ mode: "starttls", auth }));
  beforeAll(smtp.setup);
  afterAll(smtp.teardown);
  beforeEach(() => smtp.server?.reset());

  it("captures a message with its envelope, parsed content and raw source over an encrypted session", async (ctx) => {
    const server = smtp.get(ctx);
    await transport(server).sendMail({
      from: "Drone <drone@ci.test>",
      to: "dev@example.test",
      cc: "list@example.test",
      bcc: "audit@example.test",
      subject: "Build #42 failed",
      text: "see the log",
      html: "<p>see the <b>log</b></p>",
      attachments: [{ filename: "log.txt", content: "step 3 failed" }],
    });
    const [message] = await server.waitForMessages(1);
    expect(message?.envelope).toEqual({
      mailFrom: "drone@ci.test",
      rcptTo: ["dev@example.test", "list@example.test", "audit@example.test"],
    });
    expect(message?.secure).toBe(true);
    expect(message?.user).toBe(auth.username);
    expect(message?.parsed.subject).toBe("Build #42 failed");
    expect(message?.parsed.from?.text).toBe('"Drone" <drone@ci.test>');
    expect(message?.parsed.cc).toMatchObject({ text: "list@example.test" });
    expect(message?.parsed.text?.trim()).toBe("see the log");
    expect(message?.parsed.html).toContain("<b>log</b>");
    expect(message?.parsed.attachments.map((each) => [each.filename, each.content.toString()])).toEqual([
      ["log.txt", "step 3 failed"],
    ]);
    expect(message?.raw).toMatch(/^Subject: Build #42 failed\r?$/m);
    expect(server.stats).toEqual({ connections: 1, authenticated: 1, authFailures: 0 });
  });

  it("counts connections, so one pooled connection for several mails is visible", async (ctx) => {
    const server = smtp.get(ctx);
    const pooled = transport(server, { pool: true, maxConnections: 1 });
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        pooled.sendMail({ from: "ci@ci.test", to: `${name}@example.test`, subject: name, text: name }),
      ),
    );
    pooled.close();
    const messages = await server.waitForMessages(3);
    expect(new Set(messages.map((each) => each.sessionId)).size).toBe(1);
    expect(server.stats.connections).toBe(1);
    expect(server.stats.authenticated).toBe(1);
  });

  it("rejects a wrong password with 535 and counts the failure", async (ctx) => {
    const server = smtp.get(ctx);
    const wrong = transport(server, { auth: { user: auth.username, pass: "wrong" } });
    const error = await errorOf(wrong.sendMail(mail("dev@example.test")));
    expect(error.responseCode).toBe(535);
    expect(server.stats).toMatchObject({ authenticated: 0, authFailures: 1 });
    expect(server.messages).toHaveLength(0);
  });

  it("refuses mail without AUTH (530) and AUTH without TLS", async (ctx) => {
    const server = smtp.get(ctx);
    const anonymous = transport(server, { auth: undefined });
    expect((await errorOf(anonymous.sendMail(mail("b@example.test", "a@ci.test")))).responseCode).toBe(530);
    const plaintext = transport(server, { ignoreTLS: true, requireTLS: false });
    const error = await errorOf(plaintext.sendMail(mail("b@example.test", "a@ci.test")));
    expect(error.responseCode).toBe(538);
  });

  it("is not trusted without its CA", async (ctx) => {
    const server = smtp.get(ctx);
    const untrusting = transport(server, { tls: { servername: "localhost" } });
    const error = await errorOf(untrusting.sendMail(mail("b@example.test", "a@ci.test")));
    expect(error.message).toMatch(/certificate/i);
    expect(server.messages).toHaveLength(0);
  });

  it("fails the next commands at a stage with the injected code, then recovers", async (ctx) => {
    const server = smtp.get(ctx);
    const client = transport(server);
    const send = () =>
      client.sendMail({ from: "ci@ci.test", to: "dev@example.test", subject: "retry", text: "x" });
    server.failNext({ stage: "rcpt", code: 451, count: 2 });
    expect((await errorOf(send())).responseCode).toBe(451);
    expect((await errorOf(send())).responseCode).toBe(451);
    await send();
    server.failNext({ stage: "data", code: 550 });
    expect((await errorOf(send())).responseCode).toBe(550);
    server.failNext({ stage: "mail", code: 452 });
    expect((await errorOf(send())).responseCode).toBe(452);
    server.failNext({ stage: "connect", code: 421 });
    expect((await errorOf(send())).responseCode).toBe(421);
    await send();
    expect(server.messages).toHaveLength(2);
    expect(() => server.failNext({ stage: "rcpt", code: 250 })).toThrow(/400-599/);
  });

  it("rejects chosen recipients with 550 and delivers to the others", async (ctx) => {
    const server = smtp.get(ctx);
    server.rejectRecipient("Gone@Example.test");
    const info = await transport(server).sendMail(mail(["dev@example.test", "gone@example.test"]));
    expect(info.rejected).toEqual(["gone@example.test"]);
    const [message] = await server.waitForMessages(1);
    expect(message?.envelope.rcptTo).toEqual(["dev@example.test"]);
    const error = await errorOf(transport(server).sendMail(mail("gone@example.test")));
    expect(error.message).toContain("550");
  });

  it("says what it waited for when messages do not arrive", async (ctx) => {
    const server = smtp.get(ctx);
    await expect(server.waitForMessages(1, 200)).rejects.toThrow(/waiting for 1 SMTP message\(s\).*got 0/);
  });
});

describe("SMTP with implicit TLS", () => {
  const smtp = serverFixture("an SMTP server", () => startSmtpServer({ mode: "tls", auth }));
  beforeAll(smtp.setup);
  afterAll(smtp.teardown);

  it("accepts mail over TLS from the first byte", async (ctx) => {
    const server = smtp.get(ctx);
    expect(server.secure).toBe(true);
    await transport(server).sendMail({
      from: "ci@ci.test",
      to: "dev@example.test",
      subject: "465",
      text: "x",
    });
    const [message] = await server.waitForMessages(1);
    expect(message?.secure).toBe(true);
    expect(message?.parsed.subject).toBe("465");
    const plain = transport(server, {
      secure: false,
      requireTLS: false,
      ignoreTLS: true,
      greetingTimeout: 1_000,
    });
    await expect(plain.sendMail(mail("dev@example.test"))).rejects.toThrow();
  });
});

describe("SMTP without TLS", () => {
  const smtp = serverFixture("an SMTP server", () =>
    startSmtpServer({ mode: "none", rejectRecipients: ["no@example.test"] }),
  );
  beforeAll(smtp.setup);
  afterAll(smtp.teardown);

  it("does not offer STARTTLS and needs no AUTH", async (ctx) => {
    const server = smtp.get(ctx);
    const error = await errorOf(
      transport(server, { requireTLS: true }).sendMail(mail("b@example.test", "a@ci.test")),
    );
    expect(error.message).toMatch(/STARTTLS/);
    const info = await transport(server).sendMail(mail(["b@example.test", "no@example.test"], "a@ci.test"));
    expect(info.rejected).toEqual(["no@example.test"]);
    const [message] = await server.waitForMessages(1);
    expect(message?.secure).toBe(false);
    expect(message?.user).toBeUndefined();
  });
});

describe("SMTP whose refused AUTH quotes the credentials back", () => {
  const smtp = serverFixture("an SMTP server", () =>
    startSmtpServer({ mode: "starttls", auth, echoCredentials: ["hex", "json-u"] }),
  );
  beforeAll(smtp.setup);
  afterAll(smtp.teardown);

  it("puts the attempted password in the 535 reply as hex and as \\u-escaped JSON", async (ctx) => {
    const server = smtp.get(ctx);
    const attempted = "wr0ng pa$$";
    const wrong = transport(server, { auth: { user: auth.username, pass: attempted } });
    const error = await errorOf(wrong.sendMail(mail("dev@example.test")));
    expect(error.responseCode).toBe(535);
    const json = JSON.stringify({ user: auth.username, pass: attempted });
    expect(error.message).toContain(`hex=${Buffer.from(json).toString("hex")}`);
    expect(error.message).toContain("json-u=\\u007b\\u0022user\\u0022\\u003a\\u0022hangar");
    expect(error.message).toContain("wr0ng\\u0020pa\\u0024\\u0024");
    expect(server.stats.authFailures).toBe(1);
  });
});
