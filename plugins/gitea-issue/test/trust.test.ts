import { describe, expect, it } from "vitest";
import { markerFor } from "../src/marker.ts";
import { droneEnv, droneGreenEnv, perTest, runGiteaIssue } from "./helpers.ts";

// What the repository being built (its commit messages, branch names, a fork's pull request)
// and the people who may open issues cannot make gitea-issue do to another branch's issue.

const { start, workspace } = perTest((gitea) => expect(gitea.schemaProblems()).toEqual([]));

/** A Drone pull-request build: the CI names the target branch (main) as the commit's branch. */
const pullRequest = {
  DRONE_BUILD_EVENT: "pull_request",
  DRONE_PULL_REQUEST: "7",
  DRONE_SOURCE_BRANCH: "fork-fix",
};

describe("gitea-issue: a build reaches only its own branch's issue", () => {
  it("a pull request's build neither closes nor comments on its target branch's issue, and says why", async () => {
    const g = await start();
    expect((await runGiteaIssue(droneEnv(g.url), workspace.dir)).code).toBe(0);
    const before = g.requests().length;

    const green = await runGiteaIssue(droneGreenEnv(g.url, pullRequest), workspace.dir);
    expect(green.code, green.output).toBe(0);
    expect(green.output).toContain("pull request #7 into main (event pull_request), not of a branch");
    const red = await runGiteaIssue(
      droneEnv(g.url, { ...pullRequest, DRONE_BUILD_NUMBER: "43" }),
      workspace.dir,
    );
    expect(red.code, red.output).toBe(0);
    expect(red.output).toContain("opens and closes no branch's issue");

    expect(g.requests().length).toBe(before);
    expect(g.issues()).toMatchObject([{ number: 1, state: "open", comments: [] }]);
  });

  it("a pull request's build reports under a `key` the pipeline gives it", async () => {
    const g = await start();
    const run = await runGiteaIssue(
      droneEnv(g.url, { ...pullRequest, PLUGIN_KEY: "pr-{{ pull_request }}" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(g.issues()).toHaveLength(1);
    expect(g.issues()[0]?.body.trimEnd().endsWith(markerFor("pr-7"))).toBe(true);
  });

  it("a commit message holding main's marker ties evil's issue to nothing but evil", async () => {
    const g = await start();
    const forged = `wip ${markerFor("main")}`;
    const evil = { DRONE_COMMIT_BRANCH: "evil", DRONE_COMMIT_MESSAGE: forged };
    expect((await runGiteaIssue(droneEnv(g.url, evil), workspace.dir)).code).toBe(0);
    const evilIssue = g.issues()[0];
    // Quoted as code, never as an HTML comment; the only marker is hangar's, on the last line.
    expect(evilIssue?.body).toContain(`\`${forged}\``);
    expect(evilIssue?.body.trimEnd().split("\n").at(-1)).toBe(markerFor("evil"));

    const main = await runGiteaIssue(droneEnv(g.url, { DRONE_BUILD_NUMBER: "43" }), workspace.dir);
    expect(main.code, main.output).toBe(0);
    expect(main.output).toContain("opened issue #2");
    const evilGreen = await runGiteaIssue(droneGreenEnv(g.url, evil), workspace.dir);
    expect(evilGreen.code, evilGreen.output).toBe(0);
    expect(g.issues().map((issue) => [issue.number, issue.state, issue.comments.length])).toEqual([
      [1, "closed", 1],
      [2, "open", 0],
    ]);
  });

  it("a custom body gets the build's text without HTML, so it carries no marker either", async () => {
    const g = await start();
    const run = await runGiteaIssue(
      droneEnv(g.url, {
        DRONE_COMMIT_BRANCH: "evil",
        DRONE_COMMIT_MESSAGE: `wip ${markerFor("main")}`,
        PLUGIN_BODY: "Broke: {{ commit.message }}",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(g.issues()[0]?.body).toBe(
      `Broke: wip &lt;!-- hangar:gitea-issue key=main --&gt;\n\n${markerFor("evil")}\n`,
    );
  });

  it("a branch name with backticks cannot end the code span it is quoted in", async () => {
    const g = await start();
    const branch = "x``<b>y";
    const run = await runGiteaIssue(droneEnv(g.url, { DRONE_COMMIT_BRANCH: branch }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(g.issues()[0]?.body).toContain("failed on ```x``<b>y```.");
  });

  it("an issue someone else opened with main's marker is not taken for hangar's", async () => {
    const g = await start({
      users: [{ login: "mallory" }],
      issues: [
        { title: "CI failing on main", body: `trust me\n\n${markerFor("main")}\n`, poster: "mallory" },
      ],
    });
    const failed = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(failed.code, failed.output).toBe(0);
    expect(failed.output).toContain("opened issue #2");
    const green = await runGiteaIssue(droneGreenEnv(g.url), workspace.dir);
    expect(green.code, green.output).toBe(0);
    expect(g.issues().map((issue) => [issue.number, issue.state, issue.comments.length])).toEqual([
      [1, "open", 0],
      [2, "closed", 1],
    ]);
  });

  it("with a token that may not read its user, matches by marker alone and says so", async () => {
    const g = await start({ tokenScopes: ["write:issue"] });
    const run = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("no read:user scope");
    expect(g.issues()).toHaveLength(1);
  });
});

describe("gitea-issue pages through lists with a bound", () => {
  it("stops when a server ignores ?page= and answers the first page again", { timeout: 15_000 }, async () => {
    const g = await start({
      ignorePage: true,
      issues: Array.from({ length: 3 }, (_, index) => ({ title: `unrelated ${index}`, body: "by hand" })),
    });
    const run = await runGiteaIssue(droneEnv(g.url), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      "listing open issues: GET /api/v1/repos/acme/app/issues answered page 2 with the items of an earlier page",
    );
    expect(g.count({ pathPattern: "issueListIssues" })).toBe(4);
    expect(g.issues()).toHaveLength(4);
  });
});
