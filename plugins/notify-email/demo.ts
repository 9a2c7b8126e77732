/**
 * `pnpm demo`: the notify-email image, run as Drone runs it, mails a failed build to an SMTP
 * inbox started on loopback; the captured mail is printed.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runDroneStep, startSmtpServer } from "@hangar/testbed";

export async function demo(image: string, workspace: string): Promise<boolean> {
  const inbox = await startSmtpServer({
    mode: "starttls",
    auth: { username: "ci", password: "demo-password" },
  });
  try {
    await writeFile(path.join(workspace, "junit.xml"), '<testsuite name="api" tests="12" failures="1"/>\n');
    console.log(`SMTP inbox on ${inbox.host}:${inbox.port} (STARTTLS, AUTH as "ci")\n`);
    const step = await runDroneStep({
      image,
      workspace,
      env: {
        PLUGIN_HOST: inbox.host,
        PLUGIN_PORT: String(inbox.port),
        PLUGIN_USERNAME: "ci",
        PLUGIN_PASSWORD: "demo-password",
        PLUGIN_CA_CERT: inbox.caPem,
        PLUGIN_FROM: "CalChat CI <ci@example.com>",
        PLUGIN_RECIPIENTS: "team@example.com",
        PLUGIN_ATTACHMENTS: "junit.xml",
        DRONE_REPO: "calchat/server",
        DRONE_REPO_LINK: "https://git.example.com/calchat/server",
        DRONE_BUILD_NUMBER: "128",
        DRONE_BUILD_EVENT: "push",
        DRONE_BUILD_STATUS: "success",
        DRONE_FAILED_STEPS: "test",
        DRONE_BUILD_LINK: "https://drone.example.com/calchat/server/128",
        DRONE_BUILD_STARTED: String(Math.floor(Date.now() / 1000) - 215),
        DRONE_BUILD_FINISHED: String(Math.floor(Date.now() / 1000)),
        DRONE_BRANCH: "main",
        DRONE_COMMIT_SHA: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c",
        DRONE_COMMIT_MESSAGE: "feat(chat): suggest meeting times from the calendar",
        DRONE_COMMIT_AUTHOR: "lea",
        DRONE_COMMIT_AUTHOR_NAME: "Lea Example",
        DRONE_COMMIT_AUTHOR_EMAIL: "lea@example.com",
      },
    });
    console.log(`$ docker run … ${image}   (exit ${step.exitCode})`);
    for (const line of `${step.stdout}${step.stderr}`.trimEnd().split("\n")) console.log(`  │ ${line}`);
    if (step.exitCode !== 0) return false;

    const [mail] = await inbox.waitForMessages(1);
    if (!mail) return false;
    const htmlFile = path.join(workspace, "notify-email.html");
    await writeFile(htmlFile, mail.parsed.html || "");
    console.log("\nThe inbox received:");
    console.log(
      `  envelope: ${mail.envelope.mailFrom} → ${mail.envelope.rcptTo.join(", ")} (${mail.secure ? "TLS" : "plain"}, AUTH ${mail.user})`,
    );
    console.log(`  From:     ${mail.parsed.from?.text}`);
    console.log(
      `  To:       ${[mail.parsed.to]
        .flat()
        .map((to) => to?.text)
        .join(", ")}`,
    );
    console.log(`  Subject:  ${mail.parsed.subject}`);
    console.log(
      `  Attached: ${mail.parsed.attachments.map((file) => `${file.filename} (${file.size} bytes)`).join(", ")}`,
    );
    console.log(`  HTML part saved to ${htmlFile}`);
    console.log(`\n${(mail.parsed.text ?? "").replace(/^/gm, "  ")}`);
    return true;
  } finally {
    await inbox.stop();
  }
}
