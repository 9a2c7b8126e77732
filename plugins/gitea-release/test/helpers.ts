import path from "node:path";
import { type CapturedRun, runCaptured, runCapturedProcess } from "@hangar/kit";
import {
  droneEnv,
  type GiteaStandIn,
  type GiteaStandInOptions,
  perTest as perTestBed,
  startGiteaStandIn,
  type WorkspaceOptions,
  woodpeckerEnv,
} from "@hangar/testbed";
import { afterEach, beforeEach, expect } from "vitest";
import { giteaRelease } from "../src/plugin.ts";

export const TOKEN = "gitea-token-5f0c9d2e7b1a";

/**
 * A Drone tag build of acme/app on the given Gitea. It names no commit: the stand-in's
 * repository has none, so the release (and its notes) go by the tag alone.
 */
export function droneTagEnv(
  giteaUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return droneEnv(
    { repo: "acme/app", repoLink: `${giteaUrl}/acme/app`, build: 12, event: "tag", tag: "v1.2.0", sha: "" },
    { PLUGIN_API_KEY: TOKEN, ...overrides },
  );
}

/** The same build as Woodpecker describes it. */
export function woodpeckerTagEnv(
  forgeUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return woodpeckerEnv(
    { repo: "acme/app", forge: forgeUrl, number: 12, event: "tag", tag: "v1.2.0" },
    { GITEA_TOKEN: TOKEN, ...overrides },
  );
}

export type Run = CapturedRun;

export const runGiteaRelease = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(giteaRelease, env, workspace);

/** The plugin as its own process, as in a real step: for the process-wide TLS trust. */
export const runGiteaReleaseIsolated = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCapturedProcess(path.resolve(import.meta.dirname, "../src/index.ts"), env, workspace);

/**
 * A workspace for each test, and the Gitea stand-in (of acme/app, taking `TOKEN`) it starts,
 * both gone after it; `check` runs on the stand-in (if the test started one) before it stops.
 */
const standIn = (options?: GiteaStandInOptions) =>
  startGiteaStandIn({ owner: "acme", repo: "app", token: TOKEN, ...options });
export const perTest = (check?: (gitea: GiteaStandIn) => void, workspace?: WorkspaceOptions) =>
  perTestBed({
    purpose: "gitea-release",
    workspace,
    check,
    hooks: { beforeEach, afterEach },
    start: standIn,
  });

/** What every test against the stand-in asks of what the plugin sent: Gitea's schema, no unknown fields. */
export function followsSchema(gitea: GiteaStandIn): void {
  expect(gitea.schemaProblems()).toEqual([]);
  expect(gitea.ignoredFields()).toEqual([]);
}
