/**
 * The build as one object, read once from Drone's `DRONE_*` or Woodpecker's `CI_*` variables,
 * so that no plugin reads either set itself.
 */

export type BuildStatus = "success" | "failure" | "unknown";

export interface BuildContext {
  ci: "drone" | "woodpecker" | "unknown";
  /** The working directory the step runs in (`/drone/src`). */
  workspace: string;
  repo: {
    owner: string;
    name: string;
    /** `owner/name` */
    fullName: string;
    link?: string | undefined;
  };
  /** The forge's base URL (`https://git.example.com`), from Woodpecker or from the repo link. */
  forgeUrl?: string | undefined;
  build: {
    number?: number | undefined;
    event: string;
    /**
     * The build's real status: on Woodpecker `CI_PIPELINE_STATUS` (its `DRONE_BUILD_STATUS`
     * always says success); on Drone failed steps or stages also count, since its status
     * variable is a snapshot from the start of the step.
     */
    status: BuildStatus;
    previousStatus?: BuildStatus | undefined;
    link?: string | undefined;
    failedSteps: string[];
    failedStages: string[];
    startedAt?: Date | undefined;
    finishedAt?: Date | undefined;
    deployTo?: string | undefined;
  };
  commit: {
    sha: string;
    shortSha: string;
    branch: string;
    tag?: string | undefined;
    ref: string;
    message: string;
    link?: string | undefined;
    author: {
      name: string;
      email?: string | undefined;
      username?: string | undefined;
      avatar?: string | undefined;
    };
  };
  pullRequest?: string | undefined;
  /** Where Drone wants the step's card (`DRONE_CARD_PATH`). */
  cardPath?: string | undefined;
  stepName?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export function readContext(env: Env, cwd: string): BuildContext {
  const woodpecker = env.CI === "woodpecker" || env.CI_PIPELINE_NUMBER !== undefined;
  const drone = !woodpecker && (env.DRONE === "true" || env.DRONE_BUILD_NUMBER !== undefined);
  const pick = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== "") return value;
    }
    return undefined;
  };

  const fullName = pick("CI_REPO", "DRONE_REPO") ?? "";
  const [ownerFromFull = "", nameFromFull = ""] = fullName.split("/");
  const owner = pick("CI_REPO_OWNER", "DRONE_REPO_OWNER", "DRONE_REPO_NAMESPACE") ?? ownerFromFull;
  const name = pick("CI_REPO_NAME", "DRONE_REPO_NAME") ?? nameFromFull;
  const repoLink = pick("CI_REPO_URL", "CI_REPO_LINK", "DRONE_REPO_LINK");

  const failedSteps = list(pick("DRONE_FAILED_STEPS"));
  const failedStages = list(pick("DRONE_FAILED_STAGES"));
  const status: BuildStatus = woodpecker
    ? normaliseStatus(pick("CI_PIPELINE_STATUS", "CI_BUILD_STATUS"))
    : failedSteps.length > 0 || failedStages.length > 0
      ? "failure"
      : normaliseStatus(pick("DRONE_BUILD_STATUS", "DRONE_STAGE_STATUS"));

  const sha = pick("CI_COMMIT_SHA", "DRONE_COMMIT_SHA", "DRONE_COMMIT") ?? "";
  const tag = pick("CI_COMMIT_TAG", "DRONE_TAG");
  const number = pick("CI_PIPELINE_NUMBER", "DRONE_BUILD_NUMBER");

  return {
    ci: woodpecker ? "woodpecker" : drone ? "drone" : "unknown",
    workspace: pick("CI_WORKSPACE", "DRONE_WORKSPACE") ?? cwd,
    repo: { owner, name, fullName: fullName || (owner && name ? `${owner}/${name}` : ""), link: repoLink },
    forgeUrl: trimSlash(pick("CI_FORGE_URL")) ?? forgeFromRepoLink(repoLink, owner, name),
    build: {
      number: number === undefined || !/^\d+$/.test(number) ? undefined : Number(number),
      event: pick("CI_PIPELINE_EVENT", "DRONE_BUILD_EVENT") ?? "",
      status,
      previousStatus: optionalStatus(pick("CI_PREV_PIPELINE_STATUS", "DRONE_PREV_BUILD_STATUS")),
      link: pick("CI_PIPELINE_URL", "CI_PIPELINE_LINK", "DRONE_BUILD_LINK"),
      failedSteps,
      failedStages,
      startedAt: unixTime(pick("CI_PIPELINE_STARTED", "DRONE_BUILD_STARTED")),
      finishedAt: unixTime(pick("CI_PIPELINE_FINISHED", "DRONE_BUILD_FINISHED")),
      deployTo: pick("CI_PIPELINE_DEPLOY_TARGET", "DRONE_DEPLOY_TO"),
    },
    commit: {
      sha,
      shortSha: sha.slice(0, 8),
      branch: pick("CI_COMMIT_BRANCH", "DRONE_COMMIT_BRANCH", "DRONE_BRANCH") ?? "",
      tag,
      ref: pick("CI_COMMIT_REF", "DRONE_COMMIT_REF") ?? "",
      message: pick("CI_COMMIT_MESSAGE", "DRONE_COMMIT_MESSAGE") ?? "",
      link: pick("CI_COMMIT_URL", "CI_PIPELINE_FORGE_URL", "CI_COMMIT_LINK", "DRONE_COMMIT_LINK"),
      author: {
        name:
          pick(
            "CI_COMMIT_AUTHOR_NAME",
            "DRONE_COMMIT_AUTHOR_NAME",
            "CI_COMMIT_AUTHOR",
            "DRONE_COMMIT_AUTHOR",
          ) ?? "",
        email: pick("CI_COMMIT_AUTHOR_EMAIL", "DRONE_COMMIT_AUTHOR_EMAIL"),
        username: pick("CI_COMMIT_AUTHOR", "DRONE_COMMIT_AUTHOR"),
        avatar: pick("CI_COMMIT_AUTHOR_AVATAR", "DRONE_COMMIT_AUTHOR_AVATAR"),
      },
    },
    pullRequest: pick("CI_COMMIT_PULL_REQUEST", "DRONE_PULL_REQUEST"),
    cardPath: pick("DRONE_CARD_PATH"),
    stepName: pick("CI_STEP_NAME", "DRONE_STEP_NAME"),
  };
}

function normaliseStatus(value: string | undefined): BuildStatus {
  return optionalStatus(value) ?? "unknown";
}

function optionalStatus(value: string | undefined): BuildStatus | undefined {
  switch (value?.toLowerCase()) {
    case "success":
    case "passing":
      return "success";
    case "failure":
    case "failing":
    case "error":
    case "killed":
      return "failure";
    case undefined:
    case "":
      return undefined;
    default:
      return "unknown";
  }
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

function unixTime(value: string | undefined): Date | undefined {
  return value && /^\d+$/.test(value) ? new Date(Number(value) * 1000) : undefined;
}

function trimSlash(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, "");
}

/** `https://git.example.com/sub/owner/name` → `https://git.example.com/sub`. */
function forgeFromRepoLink(link: string | undefined, owner: string, name: string): string | undefined {
  if (!link || !owner || !name) return undefined;
  const suffix = `/${owner}/${name}`;
  const trimmed = trimSlash(link) ?? "";
  return trimmed.toLowerCase().endsWith(suffix.toLowerCase()) ? trimmed.slice(0, -suffix.length) : undefined;
}
