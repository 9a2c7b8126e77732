import { describe, expect, it } from "vitest";
import { type BuildContext, readContext } from "../src/context.ts";

const SHA = "3f9a1c2b4d5e6f708192a3b4c5d6e7f801234567";

const droneEnv = {
  DRONE: "true",
  CI: "true",
  DRONE_WORKSPACE: "/drone/src",
  DRONE_REPO: "acme/shop",
  DRONE_REPO_OWNER: "acme",
  DRONE_REPO_NAME: "shop",
  DRONE_REPO_LINK: "https://git.example.com/gitea/acme/shop/",
  DRONE_BUILD_NUMBER: "42",
  DRONE_BUILD_EVENT: "push",
  DRONE_BUILD_STATUS: "success",
  DRONE_BUILD_LINK: "https://drone.example.com/acme/shop/42",
  DRONE_BUILD_STARTED: "1700000000",
  DRONE_BUILD_FINISHED: "1700000060",
  DRONE_FAILED_STEPS: "test, lint",
  DRONE_FAILED_STAGES: "",
  DRONE_PREV_BUILD_STATUS: "success",
  DRONE_COMMIT_SHA: SHA,
  DRONE_COMMIT_BRANCH: "main",
  DRONE_BRANCH: "main",
  DRONE_COMMIT_REF: "refs/heads/main",
  DRONE_COMMIT_MESSAGE: "Fix the checkout\n\nLonger text.",
  DRONE_COMMIT_LINK: `https://git.example.com/gitea/acme/shop/commit/${SHA}`,
  DRONE_COMMIT_AUTHOR: "jdoe",
  DRONE_COMMIT_AUTHOR_NAME: "Jane Doe",
  DRONE_COMMIT_AUTHOR_EMAIL: "jane@example.com",
  DRONE_COMMIT_AUTHOR_AVATAR: "https://git.example.com/avatars/jdoe",
  DRONE_CARD_PATH: "/dev/stdout",
  DRONE_STEP_NAME: "notify",
};

describe("readContext on Drone", () => {
  it("normalises DRONE_* into the build context; failed steps make the status a failure", () => {
    const expected: BuildContext = {
      ci: "drone",
      workspace: "/drone/src",
      repo: {
        owner: "acme",
        name: "shop",
        fullName: "acme/shop",
        link: "https://git.example.com/gitea/acme/shop/",
      },
      forgeUrl: "https://git.example.com/gitea",
      build: {
        number: 42,
        event: "push",
        status: "failure",
        previousStatus: "success",
        link: "https://drone.example.com/acme/shop/42",
        failedSteps: ["test", "lint"],
        failedStages: [],
        startedAt: new Date("2023-11-14T22:13:20.000Z"),
        finishedAt: new Date("2023-11-14T22:14:20.000Z"),
        deployTo: undefined,
      },
      commit: {
        sha: SHA,
        shortSha: "3f9a1c2b",
        branch: "main",
        tag: undefined,
        ref: "refs/heads/main",
        message: "Fix the checkout\n\nLonger text.",
        link: `https://git.example.com/gitea/acme/shop/commit/${SHA}`,
        author: {
          name: "Jane Doe",
          email: "jane@example.com",
          username: "jdoe",
          avatar: "https://git.example.com/avatars/jdoe",
        },
      },
      pullRequest: undefined,
      cardPath: "/dev/stdout",
      stepName: "notify",
    };
    expect(readContext(droneEnv, "/elsewhere")).toEqual(expected);
  });

  it("takes DRONE_BUILD_STATUS when no step or stage failed", () => {
    const env = { ...droneEnv, DRONE_FAILED_STEPS: "" };
    expect(readContext(env, "/").build.status).toBe("success");
    expect(readContext({ ...env, DRONE_BUILD_STATUS: "failure" }, "/").build.status).toBe("failure");
    expect(readContext({ ...env, DRONE_FAILED_STAGES: "build" }, "/").build.status).toBe("failure");
  });

  it("reads a tag build, a pull request and a promotion", () => {
    const context = readContext(
      {
        ...droneEnv,
        DRONE_BUILD_EVENT: "promote",
        DRONE_TAG: "v1.2.0",
        DRONE_PULL_REQUEST: "17",
        DRONE_DEPLOY_TO: "production",
      },
      "/",
    );
    expect(context.commit.tag).toBe("v1.2.0");
    expect(context.pullRequest).toBe("17");
    expect(context.build.deployTo).toBe("production");
    expect(context.build.event).toBe("promote");
  });

  it("derives the forge URL from the repository link only when the link ends in owner/name", () => {
    expect(
      readContext({ ...droneEnv, DRONE_REPO_LINK: "https://git.example.com/ACME/Shop" }, "/").forgeUrl,
    ).toBe("https://git.example.com");
    expect(
      readContext({ ...droneEnv, DRONE_REPO_LINK: "https://git.example.com/other/thing" }, "/").forgeUrl,
    ).toBe(undefined);
  });

  it("splits DRONE_REPO when owner and name are not given separately", () => {
    const { DRONE_REPO_OWNER: _owner, DRONE_REPO_NAME: _name, ...env } = droneEnv;
    expect(readContext(env, "/").repo).toMatchObject({ owner: "acme", name: "shop", fullName: "acme/shop" });
  });
});

const woodpeckerEnv = {
  CI: "woodpecker",
  CI_WORKSPACE: "/woodpecker/src/git.example.com/acme/shop",
  CI_REPO: "acme/shop",
  CI_REPO_OWNER: "acme",
  CI_REPO_NAME: "shop",
  CI_REPO_URL: "https://git.example.com/acme/shop",
  CI_FORGE_URL: "https://git.example.com/",
  CI_PIPELINE_NUMBER: "7",
  CI_PIPELINE_EVENT: "tag",
  CI_PIPELINE_STATUS: "failure",
  CI_PREV_PIPELINE_STATUS: "success",
  CI_PIPELINE_URL: "https://ci.example.com/repos/3/pipeline/7",
  CI_PIPELINE_STARTED: "1700000000",
  CI_COMMIT_SHA: SHA,
  CI_COMMIT_BRANCH: "main",
  CI_COMMIT_TAG: "v1.2.0",
  CI_COMMIT_REF: "refs/tags/v1.2.0",
  CI_COMMIT_MESSAGE: "Release 1.2.0",
  CI_PIPELINE_FORGE_URL: `https://git.example.com/acme/shop/commit/${SHA}`,
  CI_COMMIT_AUTHOR: "jdoe",
  CI_COMMIT_AUTHOR_EMAIL: "jane@example.com",
  CI_COMMIT_AUTHOR_AVATAR: "https://git.example.com/avatars/jdoe",
  CI_STEP_NAME: "notify",
  // Woodpecker's Drone compatibility variables: the status is always "success".
  DRONE_BUILD_STATUS: "success",
  DRONE_BUILD_NUMBER: "7",
  DRONE_BRANCH: "main",
};

describe("readContext on Woodpecker", () => {
  it("normalises CI_* and ignores the fake DRONE_BUILD_STATUS=success", () => {
    const expected: BuildContext = {
      ci: "woodpecker",
      workspace: "/woodpecker/src/git.example.com/acme/shop",
      repo: { owner: "acme", name: "shop", fullName: "acme/shop", link: "https://git.example.com/acme/shop" },
      forgeUrl: "https://git.example.com",
      build: {
        number: 7,
        event: "tag",
        status: "failure",
        previousStatus: "success",
        link: "https://ci.example.com/repos/3/pipeline/7",
        failedSteps: [],
        failedStages: [],
        startedAt: new Date(1_700_000_000_000),
        finishedAt: undefined,
        deployTo: undefined,
      },
      commit: {
        sha: SHA,
        shortSha: "3f9a1c2b",
        branch: "main",
        tag: "v1.2.0",
        ref: "refs/tags/v1.2.0",
        message: "Release 1.2.0",
        link: `https://git.example.com/acme/shop/commit/${SHA}`,
        author: {
          name: "jdoe",
          email: "jane@example.com",
          username: "jdoe",
          avatar: "https://git.example.com/avatars/jdoe",
        },
      },
      pullRequest: undefined,
      cardPath: undefined,
      stepName: "notify",
    };
    expect(readContext(woodpeckerEnv, "/elsewhere")).toEqual(expected);
  });

  it("reads the previous pipeline's status, e.g. to mail only on a change", () => {
    const fixed = readContext(
      { ...woodpeckerEnv, CI_PIPELINE_STATUS: "success", CI_PREV_PIPELINE_STATUS: "failure" },
      "/",
    );
    expect(fixed.build).toMatchObject({ status: "success", previousStatus: "failure" });
  });

  it("is recognised by CI_PIPELINE_NUMBER even without CI=woodpecker", () => {
    const { CI: _ci, ...env } = woodpeckerEnv;
    const context = readContext(env, "/");
    expect(context.ci).toBe("woodpecker");
    expect(context.build.status).toBe("failure");
  });
});

describe("readContext outside CI", () => {
  it("falls back to the working directory and an unknown status", () => {
    const context = readContext({}, "/home/me/project");
    expect(context).toMatchObject({
      ci: "unknown",
      workspace: "/home/me/project",
      repo: { owner: "", name: "", fullName: "" },
      forgeUrl: undefined,
      build: { number: undefined, event: "", status: "unknown", failedSteps: [] },
      commit: { sha: "", shortSha: "", branch: "" },
    });
  });

  it("maps unusual status words", () => {
    expect(readContext({ DRONE_BUILD_STATUS: "killed" }, "/").build.status).toBe("failure");
    expect(readContext({ DRONE_BUILD_STATUS: "running" }, "/").build.status).toBe("unknown");
    expect(readContext({ DRONE_BUILD_NUMBER: "abc" }, "/").build.number).toBeUndefined();
  });
});
