import { type CapturedRun, runCaptured } from "@hangar/kit";
import {
  droneEnv as buildEnv,
  type GiteaStandIn,
  type GiteaStandInOptions,
  perTest as perTestBed,
  woodpeckerEnv as pipelineEnv,
  startGiteaStandIn,
  type WorkspaceOptions,
} from "@hangar/testbed";
import { afterEach, beforeEach } from "vitest";
import { giteaIssue } from "../src/plugin.ts";

export const TOKEN = "gitea-token-7c1e4b9a2d5f";
export const SHA = "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1";

/** A Drone push build of acme/app on the given Gitea, failed in its `test` step unless told otherwise. */
export function droneEnv(giteaUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return buildEnv(
    {
      repo: "acme/app",
      repoLink: `${giteaUrl}/acme/app`,
      build: 41,
      link: "https://drone.example.test/acme/app/41",
      status: "failure",
      failedSteps: "test",
      sha: SHA,
      message: "feat: chat rooms\n\nlonger text",
      author: { login: "alice", name: "Alice Example", email: "alice@example.test" },
    },
    { DRONE_COMMIT_BRANCH: "main", PLUGIN_API_KEY: TOKEN, ...overrides },
  );
}

/** The same build, passed: Drone's status says success and no step failed. */
export function droneGreenEnv(
  giteaUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return droneEnv(giteaUrl, {
    DRONE_BUILD_NUMBER: "42",
    DRONE_BUILD_STATUS: "success",
    DRONE_FAILED_STEPS: "",
    ...overrides,
  });
}

/** A Woodpecker pipeline: its DRONE_BUILD_STATUS always says success; CI_PIPELINE_STATUS is the truth. */
export function woodpeckerEnv(
  forgeUrl: string,
  status: "success" | "failure",
  overrides: Record<string, string> = {},
): Record<string, string> {
  return pipelineEnv(
    {
      repo: "acme/app",
      forge: forgeUrl,
      number: 7,
      status,
      link: "https://ci.example.test/repos/1/pipeline/7",
      sha: SHA,
      branch: "main",
      message: "fix: reconnect",
      author: "alice",
    },
    { GITEA_TOKEN: TOKEN, ...overrides },
  );
}

export type Run = CapturedRun;

export const runGiteaIssue = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(giteaIssue, env, workspace);

/**
 * A workspace for each test, and the Gitea stand-in it starts, both gone after it; `check`
 * runs on the stand-in (if the test started one) before it stops.
 */
const standIn = (options?: GiteaStandInOptions) =>
  startGiteaStandIn({ owner: "acme", repo: "app", token: TOKEN, ...options });
export const perTest = (check?: (gitea: GiteaStandIn) => void, workspace?: WorkspaceOptions) =>
  perTestBed({ purpose: "gitea-issue", workspace, check, hooks: { beforeEach, afterEach }, start: standIn });
