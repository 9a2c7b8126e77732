import { type CapturedRun, runCaptured } from "@hangar/kit";
import {
  droneEnv as buildEnv,
  woodpeckerEnv as pipelineEnv,
  type SmtpServer,
  tempWorkspace,
  type Workspace,
  type WorkspaceOptions,
} from "@hangar/testbed";
import { afterEach, beforeEach } from "vitest";
import { notifyEmail } from "../src/plugin.ts";

/** A Drone build of acme/app, failed in `test`, as Drone's runner would describe it. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return buildEnv(
    {
      repo: "acme/app",
      repoLink: "https://git.example.com/acme/app",
      build: 42,
      status: "failure",
      link: "https://drone.example.com/acme/app/42",
      started: 1700000000,
      failedSteps: "test,lint",
      branch: "main",
      sha: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
      message: "fix(api): handle <empty> calendars & notes",
      author: { login: "jdoe", name: "Jane Doe", email: "jane@example.com" },
    },
    {
      DRONE_BUILD_FINISHED: "1700000095",
      DRONE_COMMIT_REF: "refs/heads/main",
      DRONE_COMMIT_LINK: "https://git.example.com/acme/app/commit/3f2a9c1d",
      ...overrides,
    },
  );
}

/** A Woodpecker pipeline: it always fakes DRONE_BUILD_STATUS=success; CI_PIPELINE_STATUS is the truth. */
export function woodpeckerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return pipelineEnv(
    {
      repo: "acme/app",
      forge: "https://git.example.com",
      number: 7,
      status: "failure",
      link: "https://ci.example.com/repos/1/pipeline/7",
      branch: "feature/login",
      sha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
      message: "feat: login page",
      author: "max",
    },
    {
      CI_REPO_URL: "https://git.example.com/acme/app",
      CI_PREV_PIPELINE_STATUS: "success",
      CI_COMMIT_AUTHOR_EMAIL: "max@example.com",
      ...overrides,
    },
  );
}

export type Run = CapturedRun;

export const runNotifyEmail = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(notifyEmail, env, workspace);

/**
 * What every test of the file starts from: a fresh workspace (removed after the test) and the
 * file's SMTP servers emptied of the last test's mail. `mail` runs the step on the failed Drone
 * build with `settings` added, in that workspace.
 */
export function perTest(
  options: { servers?: (SmtpServer | undefined)[]; workspace?: WorkspaceOptions } = {},
) {
  let current: Workspace | undefined;
  beforeEach(async () => {
    current = await tempWorkspace("notify-email", options.workspace);
    for (const server of options.servers ?? []) server?.reset();
  });
  afterEach(async () => {
    await current?.remove();
    current = undefined;
  });
  const workspace = {
    get dir(): string {
      if (!current) throw new Error("the workspace exists only while a test runs");
      return current.dir;
    },
  };
  const mail = (settings: Record<string, string> = {}): Promise<Run> =>
    runNotifyEmail(droneEnv(settings), workspace.dir);
  return { workspace, mail };
}
