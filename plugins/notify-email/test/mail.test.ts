import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { droneEnv, perTest, runNotifyEmail, woodpeckerEnv } from "./helpers.ts";

const { workspace, mail } = perTest();

const base = { PLUGIN_HOST: "smtp.example.com", PLUGIN_FROM: "CI <ci@example.com>", PLUGIN_DRY_RUN: "true" };

describe("the mail notify-email renders", () => {
  it("subject and plain text carry drone-email's variables from a Drone build", async () => {
    const run = await mail(base);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("subject: [failure] acme/app (main - 3f2a9c1d)");
    expect(run.stdout).toContain("Build FAILED: acme/app #42 (push)");
    expect(run.stdout).toContain("Failed:  test, lint");
    expect(run.stdout).toContain("Took:    1m 35s");
    expect(run.stdout).toContain("Author:  Jane Doe <jane@example.com>");
    expect(run.stdout).toContain("Build: https://drone.example.com/acme/app/42");
  });

  it("uses Woodpecker's real pipeline status, not its fake DRONE_BUILD_STATUS", async () => {
    const run = await runNotifyEmail(woodpeckerEnv(base), workspace.dir);
    expect(run.stdout).toContain("subject: [failure] acme/app (feature/login - a1b2c3d4)");
    expect(run.stdout).toContain("would send: the build is failure, changed from success");
  });

  it("a Drone build with failed steps is a failure even though its status snapshot says success", async () => {
    const run = await mail({ ...base, DRONE_BUILD_STATUS: "success" });
    expect(run.stdout).toContain("subject: [failure]");
  });

  it("does not send for a green build with on: failure", async () => {
    const env = droneEnv({
      ...base,
      PLUGIN_ON: "failure",
      DRONE_BUILD_STATUS: "success",
      DRONE_FAILED_STEPS: "",
    });
    const run = await runNotifyEmail(env, workspace.dir);
    expect(run.stdout).toContain("would not send: the build is success");
  });

  it("renders a body template from a workspace file, escaping HTML in values", async () => {
    await mkdir(path.join(workspace.dir, "ci"));
    await writeFile(
      path.join(workspace.dir, "ci", "mail.hbs"),
      "<h1>{{ uppercasefirst build.status }} on {{ commit.branch }}</h1><p>{{ commit.message }}</p><p>{{#failure build.status}}Fix it, {{ commit.author }}{{/failure}}</p>",
    );
    const run = await mail({
      ...base,
      PLUGIN_BODY: "file://ci/mail.hbs",
      PLUGIN_SUBJECT: "{{ repo.name }} #{{ build.number }}",
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("subject: app #42");
    // The plain-text part is derived from the rendered HTML.
    expect(run.stdout).toContain("Failure on main");
    expect(run.stdout).toContain("fix(api): handle <empty> calendars & notes");
    expect(run.stdout).toContain("Fix it, Jane Doe");
  });
});
