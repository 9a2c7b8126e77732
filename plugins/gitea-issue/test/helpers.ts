import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import { giteaIssue } from "../src/plugin.ts";

export const TOKEN = "gitea-token-7c1e4b9a2d5f";
export const SHA = "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1";

/** A Drone push build of acme/app on the given Gitea, failed in its `test` step unless told otherwise. */
export function droneEnv(giteaUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/app",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "app",
    DRONE_REPO_LINK: `${giteaUrl}/acme/app`,
    DRONE_BUILD_NUMBER: "41",
    DRONE_BUILD_EVENT: "push",
    DRONE_BUILD_LINK: "https://drone.example.test/acme/app/41",
    DRONE_BUILD_STATUS: "failure",
    DRONE_FAILED_STEPS: "test",
    DRONE_COMMIT_SHA: SHA,
    DRONE_COMMIT_BRANCH: "main",
    DRONE_COMMIT_MESSAGE: "feat: chat rooms\n\nlonger text",
    DRONE_COMMIT_AUTHOR: "alice",
    DRONE_COMMIT_AUTHOR_NAME: "Alice Example",
    DRONE_COMMIT_AUTHOR_EMAIL: "alice@example.test",
    PLUGIN_API_KEY: TOKEN,
    ...overrides,
  };
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
  return {
    CI: "woodpecker",
    DRONE_BUILD_STATUS: "success",
    CI_PIPELINE_STATUS: status,
    CI_REPO: "acme/app",
    CI_REPO_OWNER: "acme",
    CI_REPO_NAME: "app",
    CI_FORGE_URL: forgeUrl,
    CI_PIPELINE_NUMBER: "7",
    CI_PIPELINE_EVENT: "push",
    CI_PIPELINE_URL: "https://ci.example.test/repos/1/pipeline/7",
    CI_COMMIT_SHA: SHA,
    CI_COMMIT_BRANCH: "main",
    CI_COMMIT_MESSAGE: "fix: reconnect",
    CI_COMMIT_AUTHOR: "alice",
    GITEA_TOKEN: TOKEN,
    ...overrides,
  };
}

export type Run = CapturedRun;

export const runGiteaIssue = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(giteaIssue, env, workspace);

export async function tempWorkspace(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "gitea-issue-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
