import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import { runDroneStep, type SmtpServer, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { droneEnv, perTest } from "./helpers.ts";

const IMAGE = "hangar/notify-email:dev";
const PASSWORD = "image-secret-Pa55word";

const image = await testbed.image(IMAGE);
const smtp = image
  ? await testbed.smtp({ mode: "starttls", auth: { username: "ci", password: PASSWORD } })
  : undefined;
afterAll(() => smtp?.stop());

// The image runs as uid 1000, as it would on a runner whose workspace it may write to.
const { workspace } = perTest({ workspace: { worldWritable: true } });

/** The image run the Drone way, logged in to the test bed's SMTP server over TLS. */
function mailFromImage(server: SmtpServer, env: Record<string, string>) {
  return runDroneStep({
    image: IMAGE,
    workspace: workspace.dir,
    env: droneEnv({
      PLUGIN_HOST: server.host,
      PLUGIN_PORT: String(server.port),
      PLUGIN_USERNAME: "ci",
      PLUGIN_PASSWORD: PASSWORD,
      PLUGIN_CA_CERT: server.caPem,
      ...env,
    }),
  });
}

describe.skipIf(!image || !smtp)("the notify-email image, run the Drone way", () => {
  it("delivers the build mail to the test bed's SMTP server", async () => {
    const server = smtp as SmtpServer;
    const result = await mailFromImage(server, {
      PLUGIN_FROM: "Hangar CI <ci@example.com>",
      PLUGIN_RECIPIENTS: "team@example.com",
      DRONE_CARD_PATH: "/dev/stdout",
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const [message] = await server.waitForMessages(1);
    expect(message?.secure).toBe(true);
    expect(message?.parsed.subject).toBe("[failure] acme/app (main - 3f2a9c1d)");
    expect(message?.envelope.rcptTo.sort()).toEqual(["jane@example.com", "team@example.com"]);
    expect(result.stdout).toContain("✔ team@example.com: accepted");
    // The card goes to the log as Drone's escape sequence when its path is stdout.
    const esc = String.fromCharCode(27);
    const card = new RegExp(`${esc}\\]1338;([A-Za-z0-9+/=]+)${esc}\\]0m`).exec(result.stdout);
    expect(JSON.parse(Buffer.from(card?.[1] ?? "", "base64").toString()).data.status).toBe("success");
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs.NOTIFY_EMAIL_SENT).toBe("true");
  });

  it("still succeeds in a workspace only root may write to, and says how to keep the outputs", async () => {
    const server = smtp as SmtpServer;
    await chmod(workspace.dir, 0o755);
    const result = await mailFromImage(server, { PLUGIN_FROM: "ci@example.com" });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain("cannot write .hangar/outputs.env in the workspace (EACCES)");
    expect(result.stderr).toContain("add `user: root` to this step");
  });

  it("fails before connecting on bad settings, exit code 2", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv({ PLUGIN_HOST: "127.0.0.1", PLUGIN_PORT: "0", PLUGIN_FROM: "ci@example.com" }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("port: must be a whole number from 1 to 65535");
  });
});
