import type { BuildFacts } from "./when.ts";

/** The build to simulate, as a developer states it: `--event tag --tag v1.4.0`. */
export interface SimulatedBuild {
  event: "push" | "tag" | "pull_request" | "promote" | "rollback" | "cron" | "custom";
  branch?: string;
  tag?: string;
  number: number;
  repo: string;
  commit: { sha: string; message: string; authorName: string; authorEmail: string; author: string };
  /** The forge's web address, for links: `https://git.example.com`. */
  forge: string;
  /** Drone's own address, for the build link. */
  server: string;
  deployTo?: string;
  /** The build a promotion or rollback redeploys (`DRONE_BUILD_PARENT`). */
  parent?: number;
  /** The cron job's name on a cron build (`when.cron`). */
  cron?: string;
  /** The hook's action (`when.action`): `opened`, `synchronized`, … */
  action?: string;
  /** The Drone server's host name (`when.instance`, `DRONE_SYSTEM_HOST`). */
  instance?: string;
  /**
   * When the build started (unix seconds), the same for every step as on Drone: the steps'
   * outputs are stamped with it. Default: when the first step's variables are made.
   */
  started?: number;
}

/** The `DRONE_*` (and `CI_*` Drone also sets) variables of a build, for every step and for substitution. */
export function buildVariables(
  build: SimulatedBuild,
  status: "success" | "failure",
  failed: string[],
): Record<string, string> {
  const [owner = "", name = ""] = build.repo.split("/");
  const branch = build.event === "tag" ? "" : (build.branch ?? "main");
  const ref = build.event === "tag" ? `refs/tags/${build.tag}` : `refs/heads/${branch}`;
  build.started ??= Math.floor(Date.now() / 1000);
  const now = build.started;
  const vars: Record<string, string> = {
    CI: "true",
    DRONE: "true",
    DRONE_BUILD_NUMBER: String(build.number),
    DRONE_BUILD_EVENT: build.event,
    DRONE_BUILD_STATUS: status,
    DRONE_STAGE_STATUS: status,
    DRONE_BUILD_LINK: `${build.server}/${build.repo}/${build.number}`,
    DRONE_BUILD_STARTED: String(now),
    DRONE_BUILD_CREATED: String(now),
    DRONE_FAILED_STEPS: failed.join(","),
    DRONE_REPO: build.repo,
    DRONE_REPO_OWNER: owner,
    DRONE_REPO_NAMESPACE: owner,
    DRONE_REPO_NAME: name,
    DRONE_REPO_LINK: `${build.forge}/${build.repo}`,
    DRONE_REPO_BRANCH: "main",
    DRONE_GIT_HTTP_URL: `${build.forge}/${build.repo}.git`,
    DRONE_COMMIT: build.commit.sha,
    DRONE_COMMIT_SHA: build.commit.sha,
    DRONE_COMMIT_REF: ref,
    DRONE_COMMIT_BRANCH: branch,
    DRONE_BRANCH: branch,
    DRONE_COMMIT_MESSAGE: build.commit.message,
    DRONE_COMMIT_AUTHOR: build.commit.author,
    DRONE_COMMIT_AUTHOR_NAME: build.commit.authorName,
    DRONE_COMMIT_AUTHOR_EMAIL: build.commit.authorEmail,
    DRONE_COMMIT_LINK: `${build.forge}/${build.repo}/commit/${build.commit.sha}`,
    DRONE_SYSTEM_HOST: new URL(build.server).host,
    DRONE_SYSTEM_PROTO: new URL(build.server).protocol.replace(":", ""),
  };
  if (build.tag) vars.DRONE_TAG = build.tag;
  if (build.deployTo) vars.DRONE_DEPLOY_TO = build.deployTo;
  if (build.parent !== undefined) vars.DRONE_BUILD_PARENT = String(build.parent);
  if (build.cron) vars.DRONE_CRON = build.cron;
  if (build.action) vars.DRONE_BUILD_ACTION = build.action;
  return vars;
}

export function buildFacts(build: SimulatedBuild, status: "success" | "failure"): BuildFacts {
  const vars = buildVariables(build, status, []);
  return {
    branch: vars.DRONE_BRANCH ?? "",
    event: build.event,
    ref: vars.DRONE_COMMIT_REF ?? "",
    repo: build.repo,
    status,
    target: build.deployTo ?? "",
    // A build that is not a cron build has no cron job: known to be empty.
    ...(build.cron !== undefined || build.event !== "cron" ? { cron: build.cron ?? "" } : {}),
    ...(build.action !== undefined ? { action: build.action } : {}),
    ...(build.instance !== undefined ? { instance: build.instance } : {}),
  };
}
