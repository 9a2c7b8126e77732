import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured, runCapturedProcess } from "@hangar/kit";
import { giteaRelease } from "../src/plugin.ts";

export const TOKEN = "gitea-token-5f0c9d2e7b1a";

/** A Drone tag build of acme/app on the given Gitea. */
export function droneTagEnv(
  giteaUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/app",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "app",
    DRONE_REPO_LINK: `${giteaUrl}/acme/app`,
    DRONE_BUILD_NUMBER: "12",
    DRONE_BUILD_EVENT: "tag",
    DRONE_TAG: "v1.2.0",
    DRONE_COMMIT_SHA: "",
    PLUGIN_API_KEY: TOKEN,
    ...overrides,
  };
}

/** The same build as Woodpecker describes it. */
export function woodpeckerTagEnv(
  forgeUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    CI: "woodpecker",
    DRONE_BUILD_STATUS: "success",
    CI_REPO: "acme/app",
    CI_REPO_OWNER: "acme",
    CI_REPO_NAME: "app",
    CI_FORGE_URL: forgeUrl,
    CI_PIPELINE_NUMBER: "12",
    CI_PIPELINE_EVENT: "tag",
    CI_COMMIT_TAG: "v1.2.0",
    GITEA_TOKEN: TOKEN,
    ...overrides,
  };
}

export type Run = CapturedRun;

export const runGiteaRelease = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(giteaRelease, env, workspace);

/** The plugin as its own process, as in a real step: for the process-wide TLS trust. */
export const runGiteaReleaseIsolated = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCapturedProcess(path.resolve(import.meta.dirname, "../src/index.ts"), env, workspace);

export async function tempWorkspace(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "gitea-release-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
