/**
 * The `DRONE_*` variables of one build, as Drone's runner hands them to every step. A test
 * states only what its build is (`{ repo: "acme/app", event: "tag", tag: "v1.2.0" }`) and
 * adds the settings and anything unusual as overrides; what it leaves out is not set.
 */
export interface DroneBuild {
  /** `owner/name`; DRONE_REPO_OWNER and DRONE_REPO_NAME are split from it. */
  repo: string;
  /** DRONE_BUILD_NUMBER; default 1. */
  build?: number | string;
  /** DRONE_BUILD_EVENT; default push. */
  event?: string;
  /** DRONE_BUILD_STATUS, when the test's build has one. */
  status?: "success" | "failure";
  /** DRONE_FAILED_STEPS. */
  failedSteps?: string;
  /** DRONE_BRANCH and DRONE_COMMIT_BRANCH. */
  branch?: string;
  /** DRONE_TAG. */
  tag?: string;
  /**
   * DRONE_COMMIT_SHA; default {@link BUILD_SHA}. A step's outputs are stamped with the build's
   * commit and read only by steps of that build, so a build without one hands nothing on.
   */
  sha?: string;
  /** DRONE_REPO_LINK: the repository on its forge. */
  repoLink?: string;
  /** DRONE_BUILD_LINK: the build on Drone. */
  link?: string;
  /** DRONE_BUILD_STARTED (unix seconds). */
  started?: number;
  /** DRONE_COMMIT_MESSAGE. */
  message?: string;
  /** DRONE_COMMIT_AUTHOR (the forge login), DRONE_COMMIT_AUTHOR_NAME and _EMAIL. */
  author?: { login: string; name?: string; email?: string };
}

/** The commit a test's build is of, unless it says otherwise: 40 hex digits, as Drone gives it. */
export const BUILD_SHA = "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1";

export function droneEnv(build: DroneBuild, overrides: Record<string, string> = {}): Record<string, string> {
  const [owner = "", name = ""] = build.repo.split("/");
  const optional: Record<string, string | number | undefined> = {
    DRONE_REPO_LINK: build.repoLink,
    DRONE_BUILD_STATUS: build.status,
    DRONE_BUILD_LINK: build.link,
    DRONE_BUILD_STARTED: build.started,
    DRONE_FAILED_STEPS: build.failedSteps,
    DRONE_BRANCH: build.branch,
    DRONE_COMMIT_BRANCH: build.branch,
    DRONE_TAG: build.tag,
    DRONE_COMMIT_MESSAGE: build.message,
    DRONE_COMMIT_AUTHOR: build.author?.login,
    DRONE_COMMIT_AUTHOR_NAME: build.author?.name,
    DRONE_COMMIT_AUTHOR_EMAIL: build.author?.email,
  };
  const env: Record<string, string> = {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: build.repo,
    DRONE_REPO_OWNER: owner,
    DRONE_REPO_NAME: name,
    DRONE_BUILD_NUMBER: String(build.build ?? 1),
    DRONE_BUILD_EVENT: build.event ?? "push",
    DRONE_COMMIT_SHA: build.sha ?? BUILD_SHA,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) env[key] = String(value);
  return { ...env, ...overrides };
}

/** Settings as Drone passes them: `{ action: "check" }` → `{ PLUGIN_ACTION: "check" }`. */
export function pluginSettings(settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [`PLUGIN_${key.toUpperCase()}`, value]),
  );
}

/** A Woodpecker pipeline, as its `CI_*` variables describe it; what a test leaves out is not set. */
export interface WoodpeckerPipeline {
  /** `owner/name`: CI_REPO, CI_REPO_OWNER and CI_REPO_NAME. */
  repo: string;
  /** CI_FORGE_URL: the forge's web address. */
  forge: string;
  /** CI_PIPELINE_NUMBER. */
  number: number | string;
  /** CI_PIPELINE_EVENT; default push. */
  event?: string;
  /** CI_PIPELINE_STATUS: the pipeline's real status. */
  status?: "success" | "failure";
  /** CI_PIPELINE_URL. */
  link?: string;
  /** CI_COMMIT_SHA. */
  sha?: string;
  /** CI_COMMIT_BRANCH. */
  branch?: string;
  /** CI_COMMIT_TAG. */
  tag?: string;
  /** CI_COMMIT_MESSAGE. */
  message?: string;
  /** CI_COMMIT_AUTHOR. */
  author?: string;
}

export function woodpeckerEnv(
  pipeline: WoodpeckerPipeline,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const [owner = "", name = ""] = pipeline.repo.split("/");
  const optional: Record<string, string | undefined> = {
    CI_PIPELINE_STATUS: pipeline.status,
    CI_PIPELINE_URL: pipeline.link,
    CI_COMMIT_SHA: pipeline.sha,
    CI_COMMIT_BRANCH: pipeline.branch,
    CI_COMMIT_TAG: pipeline.tag,
    CI_COMMIT_MESSAGE: pipeline.message,
    CI_COMMIT_AUTHOR: pipeline.author,
  };
  const env: Record<string, string> = {
    CI: "woodpecker",
    // Woodpecker's Drone-compatible status always says success, whatever the pipeline's is.
    DRONE_BUILD_STATUS: "success",
    CI_REPO: pipeline.repo,
    CI_REPO_OWNER: owner,
    CI_REPO_NAME: name,
    CI_FORGE_URL: pipeline.forge,
    CI_PIPELINE_NUMBER: String(pipeline.number),
    CI_PIPELINE_EVENT: pipeline.event ?? "push",
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) env[key] = value;
  return { ...env, ...overrides };
}
