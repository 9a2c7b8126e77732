import { readFile } from "node:fs/promises";
import path from "node:path";
import { type SmtpServer, secretLeaks, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { droneEnv, perTest, runNotifyEmail } from "./helpers.ts";

/**
 * The SMTP password never reaches the log, whatever the server does with it or wherever a
 * pipeline author tries to put it.
 */

const USER = "ci@example.com";
/** Non-ASCII and punctuation, so the hex and `\u` forms differ from the plain one. */
const PASSWORD = "Grüße-aus-Köln/2024+secret";

// The server expects another password, and quotes back the one it got in its 535 reply.
const echoing = await testbed.smtp({
  mode: "starttls",
  auth: { username: USER, password: "the-right-one" },
  echoCredentials: ["plain", "hex", "HEX", "base64", "json", "json-u"],
});
const smtp = await testbed.smtp({ mode: "starttls", auth: { username: USER, password: PASSWORD } });
afterAll(async () => {
  await echoing?.stop();
  await smtp?.stop();
});

const { workspace } = perTest({ servers: [echoing, smtp] });

function settingsFor(server: SmtpServer, extra: Record<string, string> = {}): Record<string, string> {
  return droneEnv({
    PLUGIN_HOST: server.host,
    PLUGIN_PORT: String(server.port),
    PLUGIN_USERNAME: USER,
    PLUGIN_PASSWORD: PASSWORD,
    PLUGIN_FROM: "Hangar CI <ci@example.com>",
    PLUGIN_RECIPIENTS: "team@example.com",
    PLUGIN_CA_CERT: server.caPem,
    PLUGIN_TIMEOUT: "5s",
    ...extra,
  });
}

describe.skipIf(!echoing || !smtp)("notify-email keeps the SMTP password out of the log", () => {
  it("masks the password a 535 reply quotes back as hex or \\u-escaped JSON", async () => {
    const server = echoing as SmtpServer;
    const run = await runNotifyEmail(settingsFor(server, { PLUGIN_DEBUG: "true" }), workspace.dir);
    expect(run.code).toBe(1);
    expect(server.stats.authFailures).toBe(1);
    // The reply is still shown, so the user sees why the login failed.
    expect(run.stderr).toMatch(
      /refused the login for "ci@example\.com".*535 Authentication credentials invalid/,
    );
    expect(run.stderr).toContain("[E_SMTP_AUTH]");
    // The server did quote it back, in each form; the log shows where, masked.
    for (const form of ["hex=", "HEX=", "json=", "json-u="]) expect(run.stderr).toContain(form);
    expect(secretLeaks(run.output, PASSWORD)).toEqual([]);
    expect(server.messages).toHaveLength(0);
  });

  it("refuses a from name that expands the password, before any connection", async () => {
    const server = smtp as SmtpServer;
    const run = await runNotifyEmail(
      settingsFor(server, {
        PLUGIN_FROM: "",
        PLUGIN_FROM_ADDRESS: "ci@example.com",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the pipeline's text, expanded by the plugin
        PLUGIN_FROM_NAME: "CI for ${PLUGIN_PASSWORD}",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toMatch(/- from[._]name: /);
    expect(secretLeaks(run.output, PASSWORD)).toEqual([]);
    expect(server.stats.connections).toBe(0);
    expect(server.messages).toHaveLength(0);
    const outputs = await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8").catch(
      () => "",
    );
    expect(secretLeaks(outputs, PASSWORD)).toEqual([]);
  });
});
