import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import { notifyEmail } from "../src/plugin.ts";

/** A Drone build of acme/app, failed in `test`, as Drone's runner would describe it. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/app",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "app",
    DRONE_REPO_LINK: "https://git.example.com/acme/app",
    DRONE_BUILD_NUMBER: "42",
    DRONE_BUILD_EVENT: "push",
    DRONE_BUILD_STATUS: "failure",
    DRONE_BUILD_LINK: "https://drone.example.com/acme/app/42",
    DRONE_BUILD_STARTED: "1700000000",
    DRONE_BUILD_FINISHED: "1700000095",
    DRONE_FAILED_STEPS: "test,lint",
    DRONE_BRANCH: "main",
    DRONE_COMMIT_BRANCH: "main",
    DRONE_COMMIT_SHA: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
    DRONE_COMMIT_REF: "refs/heads/main",
    DRONE_COMMIT_MESSAGE: "fix(api): handle <empty> calendars & notes",
    DRONE_COMMIT_LINK: "https://git.example.com/acme/app/commit/3f2a9c1d",
    DRONE_COMMIT_AUTHOR: "jdoe",
    DRONE_COMMIT_AUTHOR_NAME: "Jane Doe",
    DRONE_COMMIT_AUTHOR_EMAIL: "jane@example.com",
    ...overrides,
  };
}

/** A Woodpecker pipeline: it always fakes DRONE_BUILD_STATUS=success; CI_PIPELINE_STATUS is the truth. */
export function woodpeckerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "woodpecker",
    DRONE_BUILD_STATUS: "success",
    CI_REPO: "acme/app",
    CI_REPO_OWNER: "acme",
    CI_REPO_NAME: "app",
    CI_REPO_URL: "https://git.example.com/acme/app",
    CI_FORGE_URL: "https://git.example.com",
    CI_PIPELINE_NUMBER: "7",
    CI_PIPELINE_EVENT: "push",
    CI_PIPELINE_STATUS: "failure",
    CI_PREV_PIPELINE_STATUS: "success",
    CI_PIPELINE_URL: "https://ci.example.com/repos/1/pipeline/7",
    CI_COMMIT_BRANCH: "feature/login",
    CI_COMMIT_SHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    CI_COMMIT_MESSAGE: "feat: login page",
    CI_COMMIT_AUTHOR: "max",
    CI_COMMIT_AUTHOR_EMAIL: "max@example.com",
    ...overrides,
  };
}

export type Run = CapturedRun;

export const runNotifyEmail = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(notifyEmail, env, workspace);

export async function tempWorkspace(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "notify-email-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
