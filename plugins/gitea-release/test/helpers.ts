import { readFile } from "node:fs/promises";
import path from "node:path";
import { type CapturedRun, runCaptured, runCapturedProcess } from "@hangar/kit";
import {
  droneEnv,
  encodeEnvironment,
  encodeSettings,
  type GiteaStandIn,
  type GiteaStandInOptions,
  perTest as perTestBed,
  startGiteaStandIn,
  stepsInSnippet,
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

/** Where the documented steps publish; the tests put the stand-in's address in its place. */
const PLACEHOLDER_URL = "https://your.gitea.tld";

/**
 * A `.drone.yml` step of test/drone-steps/: drone-gitea-release's documented examples as a user
 * has them today, and steps written for hangar.
 */
export const droneStep = (name: string): Promise<string> =>
  readFile(path.join(import.meta.dirname, "drone-steps", `${name}.yml`), "utf8");

/**
 * The step as Drone hands it to the plugin on a tag build of acme/app: its settings as PLUGIN_ +
 * the key upper-cased (lists comma-joined), its `environment:` as it is, `from_secret` resolved from
 * `secrets`, and the stand-in in place of `https://your.gitea.tld`.
 */
export function droneStepEnv(
  gitea: GiteaStandIn,
  snippet: string,
  secrets: Record<string, string> = {},
  image = "plugins/gitea-release",
): Record<string, string> {
  const [step] = stepsInSnippet(snippet.replaceAll(PLACEHOLDER_URL, gitea.url), {});
  expect(step?.image).toBe(image);
  const settings = encodeSettings(step?.settings, (name) => secrets[name]);
  const environment = encodeEnvironment(step?.environment, (name) => secrets[name]);
  expect([...settings.missingSecrets, ...environment.missingSecrets]).toEqual([]);
  const { PLUGIN_API_KEY: _helpersToken, ...build } = droneTagEnv(gitea.url);
  return { ...build, ...environment.env, ...settings.env };
}

/** The files drone-gitea-release names for the documented checksums example: one per algorithm. */
export const EXAMPLE_SUM_FILES = [
  "adler32sum.txt",
  "crc32sum.txt",
  "md5sum.txt",
  "sha1sum.txt",
  "sha256sum.txt",
  "sha512sum.txt",
];

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
export function perTest(check?: (gitea: GiteaStandIn) => void, workspace?: WorkspaceOptions) {
  const bed = perTestBed({
    purpose: "gitea-release",
    workspace,
    check,
    hooks: { beforeEach, afterEach },
    start: standIn,
  });
  /** The step on the tag build, in the test's workspace, against `gitea`, with `env` (its settings) added. */
  const publish = (gitea: { url: string }, env: Record<string, string> = {}): Promise<Run> =>
    runGiteaRelease(droneTagEnv(gitea.url, env), bed.workspace.dir);
  return Object.assign(bed, { publish });
}

/** What every test against the stand-in asks of what the plugin sent: Gitea's schema, no unknown fields. */
export function followsSchema(gitea: GiteaStandIn): void {
  expect(gitea.schemaProblems()).toEqual([]);
  expect(gitea.ignoredFields()).toEqual([]);
}
