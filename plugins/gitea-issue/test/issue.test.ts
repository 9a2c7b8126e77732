import { readFile } from "node:fs/promises";
import path from "node:path";
import { readStepOutputs, secretLeaks } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, droneGreenEnv, perTest, runGiteaIssue, SHA, TOKEN, woodpeckerEnv } from "./helpers.ts";

const { start, workspace } = perTest((gitea) => {
  expect(gitea.schemaProblems()).toEqual([]);
  expect(gitea.ignoredFields()).toEqual([]);
});

const outputs = () => readStepOutputs(workspace.dir);

describe("gitea-issue against the Gitea stand-in", () => {
  it("opens one issue on a first failure, labelled, with the build's facts and a hidden key marker", async () => {
    const g = await start();
    const run = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const [issue, ...others] = g.issues();
    expect(others).toEqual([]);
    expect(issue).toMatchObject({
      number: 1,
      title: "CI failing on main",
      state: "open",
      labels: ["ci-failure"],
    });
    for (const fact of ["test", "#41", "https://drone.example.test/acme/app/41", "`main`", SHA.slice(0, 8)])
      expect(issue?.body).toContain(fact);
    expect(issue?.body).toContain("feat: chat rooms");
    expect(issue?.body).toContain("Alice Example <alice@example.test>");
    expect(issue?.body).toContain("<!-- hangar:gitea-issue key=main -->");
    expect(g.labels()).toEqual([{ id: 1, name: "ci-failure", color: "e11d21" }]);
    expect(await outputs()).toMatchObject({
      GITEA_ISSUE_NUMBER: "1",
      GITEA_ISSUE_URL: `${g.url}/acme/app/issues/1`,
      GITEA_ISSUE_ACTION: "opened",
    });
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
  });

  it("comments on the open issue on a second failure of the branch, even after the issue was renamed", async () => {
    const g = await start();
    expect((await runGiteaIssue(droneEnv(g.url), workspace.dir)).code).toBe(0);
    // Someone renames the issue: it is found by its marker, not its title.
    await fetch(`${g.apiUrl}/repos/acme/app/issues/1`, {
      method: "PATCH",
      headers: { Authorization: `token ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ title: "Flaky chat tests" }),
    });
    const again = await runGiteaIssue(droneEnv(g.url, { DRONE_BUILD_NUMBER: "43" }), workspace.dir);
    expect(again.code, again.output).toBe(0);
    expect(g.issues()).toHaveLength(1);
    expect(g.issues()[0]?.comments).toHaveLength(1);
    expect(g.issues()[0]?.comments[0]).toContain("Failed again in build [#43]");
    expect((await outputs()).GITEA_ISSUE_ACTION).toBe("commented");
    // The label was there already: created once.
    expect(g.count({ method: "POST", pathPattern: "issueCreateLabel" })).toBe(1);
  });

  it("opens a separate issue for a failure on another branch", async () => {
    const g = await start();
    await runGiteaIssue(droneEnv(g.url), workspace.dir);
    const other = await runGiteaIssue(
      droneEnv(g.url, { DRONE_COMMIT_BRANCH: "feature/login" }),
      workspace.dir,
    );
    expect(other.code, other.output).toBe(0);
    expect(g.issues().map((issue) => [issue.title, issue.state])).toEqual([
      ["CI failing on main", "open"],
      ["CI failing on feature/login", "open"],
    ]);
  });

  it("closes the open issue on the next green build with who fixed it, and does nothing when none is open", async () => {
    const g = await start();
    await runGiteaIssue(droneEnv(g.url), workspace.dir);
    const green = await runGiteaIssue(droneGreenEnv(g.url), workspace.dir);
    expect(green.code, green.output).toBe(0);
    expect(g.issues()[0]).toMatchObject({ state: "closed" });
    expect(g.issues()[0]?.comments).toEqual([
      `Fixed by build [#42](https://drone.example.test/acme/app/41) (commit \`${SHA.slice(0, 8)}\`).`,
    ]);
    expect(await outputs()).toMatchObject({ GITEA_ISSUE_ACTION: "closed", GITEA_ISSUE_NUMBER: "1" });
    const before = g.requests().length;
    const quiet = await runGiteaIssue(droneGreenEnv(g.url, { DRONE_BUILD_NUMBER: "44" }), workspace.dir);
    expect(quiet.code, quiet.output).toBe(0);
    expect(quiet.output).toContain("no issue is open for main: nothing to do");
    expect(await outputs()).toMatchObject({ GITEA_ISSUE_ACTION: "none", GITEA_ISSUE_NUMBER: "" });
    // Only reads: one page of open issues.
    expect(
      g
        .requests()
        .slice(before)
        .every((request) => request.method === "GET"),
    ).toBe(true);
  });

  it("two failing builds of one branch at once end with one open issue holding both failures", async () => {
    const g = await start();
    // Both list before either creates: each opens its own, then sees the other's.
    g.addLatency({ method: "POST", pathPattern: "issueCreateIssue", ms: 300 });
    const [first, second] = await Promise.all([
      runGiteaIssue(droneEnv(g.url, { DRONE_BUILD_NUMBER: "50" }), workspace.dir),
      runGiteaIssue(droneEnv(g.url, { DRONE_BUILD_NUMBER: "51" }), workspace.dir),
    ]);
    expect(first?.code, first?.output).toBe(0);
    expect(second?.code, second?.output).toBe(0);
    expect(g.count({ pathPattern: "issueCreateIssue" })).toBe(2);
    const open = g.issues().filter((issue) => issue.state === "open");
    expect(open).toHaveLength(1);
    const duplicate = g.issues().find((issue) => issue.state === "closed");
    expect(duplicate?.comments[0]).toContain(`Duplicate of #${open[0]?.number}`);
    expect(open[0]?.comments).toHaveLength(1);
    expect(open[0]?.comments[0]).toMatch(/Failed again in build \[#5[01]\]/);
    expect([first?.output, second?.output].join("\n")).toContain("opened by another build at the same time");
  });

  it("looks through every page of open issues for the marker", async () => {
    const g = await start({ maxResponseItems: 20 });
    const headers = { Authorization: `token ${TOKEN}`, "Content-Type": "application/json" };
    const create = (title: string, body: string) =>
      fetch(`${g.apiUrl}/repos/acme/app/issues`, {
        method: "POST",
        headers,
        body: JSON.stringify({ title, body }),
      });
    await create("old failure", "<!-- hangar:gitea-issue key=main -->");
    for (let index = 0; index < 45; index++)
      await create(`unrelated ${index}`, "CI failing on main, by hand");
    const run = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(g.issues()).toHaveLength(46);
    expect(g.issues()[0]?.comments).toHaveLength(1);
    expect(g.count({ pathPattern: "issueListIssues" })).toBe(3);
  });

  it("creates missing labels once with a colour, and reuses those the repository has", async () => {
    const g = await start();
    const env = droneEnv(g.url, { PLUGIN_LABELS: "ci-failure,bug" });
    await runGiteaIssue(env, workspace.dir);
    await runGiteaIssue(
      droneEnv(g.url, { PLUGIN_LABELS: "ci-failure,bug", DRONE_COMMIT_BRANCH: "dev" }),
      workspace.dir,
    );
    expect(g.labels().map((label) => label.name)).toEqual(["ci-failure", "bug"]);
    expect(g.labels()[1]?.color).toMatch(/^[0-9a-f]{6}$/);
    expect(g.issues().map((issue) => issue.labels)).toEqual([
      ["ci-failure", "bug"],
      ["ci-failure", "bug"],
    ]);
  });

  it("assigns the commit's author when they are a Gitea user, and only then", async () => {
    const g = await start({ users: [{ login: "alice" }] });
    const env = { PLUGIN_ASSIGNEES: "commit_author" };
    expect((await runGiteaIssue(droneEnv(g.url, env), workspace.dir)).code).toBe(0);
    expect(g.issues()[0]?.assignees).toEqual(["alice"]);
    const stranger = await runGiteaIssue(
      droneEnv(g.url, { ...env, DRONE_COMMIT_BRANCH: "dev", DRONE_COMMIT_AUTHOR: "mallory" }),
      workspace.dir,
    );
    expect(stranger.code, stranger.output).toBe(0);
    expect(stranger.output).toContain("mallory is not a Gitea user; not assigned");
    expect(g.issues()[1]).toMatchObject({ state: "open", assignees: [] });
  });

  it("reads the real status on Woodpecker (whose DRONE_BUILD_STATUS always says success)", async () => {
    const g = await start();
    const failed = await runGiteaIssue(woodpeckerEnv(g.url, "failure"), workspace.dir);
    expect(failed.code, failed.output).toBe(0);
    expect(g.issues()[0]).toMatchObject({ state: "open", title: "CI failing on main" });
    expect(g.issues()[0]?.body).toContain("https://ci.example.test/repos/1/pipeline/7");
    const passed = await runGiteaIssue(
      woodpeckerEnv(g.url, "success", { CI_PIPELINE_NUMBER: "8" }),
      workspace.dir,
    );
    expect(passed.code, passed.output).toBe(0);
    expect(g.issues()[0]?.state).toBe("closed");
    expect(g.issues()[0]?.comments[0]).toContain("Fixed by build [#8]");
  });

  it("uses a custom title, body from a workspace file and key", async () => {
    const g = await start();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      path.join(workspace.dir, "issue.md"),
      "Build {{ build.number }} broke: {{ failed_steps }}\n",
    );
    const run = await runGiteaIssue(
      droneEnv(g.url, {
        PLUGIN_TITLE: "Nightly broken ({{ build.number }})",
        PLUGIN_BODY: "issue.md",
        PLUGIN_KEY: "nightly",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(g.issues()[0]).toMatchObject({ title: "Nightly broken (41)" });
    expect(g.issues()[0]?.body).toBe("Build 41 broke: test\n\n<!-- hangar:gitea-issue key=nightly -->\n");
  });

  it("writes a card with the issue's link", async () => {
    const g = await start();
    const card = path.join(workspace.dir, "card.json");
    const run = await runGiteaIssue(droneEnv(g.url, { DRONE_CARD_PATH: card }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const written = await readFile(card, "utf8");
    expect(written).toContain("Opened issue #1");
    expect(written).toContain(`${g.url}/acme/app/issues/1`);
  });
});
