import type { BuildContext } from "@hangar/kit";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The variables subject and body templates see, named as drillster/drone-email names them
 * (`build.status`, `repo.owner`, `commit.author.email`, `job.exitCode`, `tag`, `pullRequest`
 * …), so existing templates keep working. Those the kit's context does not carry are read from
 * Drone's variables as drone-email reads them.
 */
export function templateData(context: BuildContext, env: Env = {}) {
  const { build, commit, repo } = context;
  const started = build.startedAt ? Math.floor(build.startedAt.getTime() / 1000) : undefined;
  const finished = build.finishedAt ? Math.floor(build.finishedAt.getTime() / 1000) : undefined;
  const text = (name: string) => env[name] || undefined;
  const number = (name: string) => (/^-?\d+$/.test(env[name] ?? "") ? Number(env[name]) : undefined);
  const flag = (name: string) => env[name] === "true";
  return {
    repo: {
      owner: repo.owner,
      name: repo.name,
      fullName: repo.fullName,
      link: repo.link,
      scm: text("DRONE_REPO_SCM") ?? "git",
      avatar: text("DRONE_REPO_AVATAR"),
      branch: text("DRONE_REPO_BRANCH") ?? text("CI_REPO_DEFAULT_BRANCH"),
      private: flag("DRONE_REPO_PRIVATE") || flag("CI_REPO_PRIVATE"),
      trusted: flag("DRONE_REPO_TRUSTED") || flag("CI_REPO_TRUSTED"),
    },
    remote: { url: text("DRONE_REMOTE_URL") ?? text("DRONE_GIT_HTTP_URL") ?? text("CI_REPO_CLONE_URL") },
    job: {
      status: text("DRONE_JOB_STATUS") ?? build.status,
      exitCode: number("DRONE_JOB_EXIT_CODE"),
      started: number("DRONE_JOB_STARTED") ?? started,
      finished: number("DRONE_JOB_FINISHED") ?? finished,
    },
    yaml: { signed: flag("DRONE_YAML_SIGNED"), verified: flag("DRONE_YAML_VERIFIED") },
    tag: commit.tag,
    pullRequest: context.pullRequest,
    deployTo: build.deployTo,
    build: {
      status: build.status,
      number: build.number,
      event: build.event,
      link: build.link,
      tag: commit.tag,
      branch: commit.branch,
      commit: commit.sha,
      ref: commit.ref,
      author: commit.author.username ?? commit.author.name,
      email: commit.author.email,
      message: commit.message,
      started,
      finished,
      created: number("DRONE_BUILD_CREATED") ?? number("CI_PIPELINE_CREATED") ?? started,
      pull: context.pullRequest,
      deployTo: build.deployTo,
      failedSteps: build.failedSteps,
      failedStages: build.failedStages,
    },
    prev: {
      build: {
        status: build.previousStatus,
        number: number("DRONE_PREV_BUILD_NUMBER") ?? number("CI_PREV_PIPELINE_NUMBER"),
      },
      commit: { sha: text("DRONE_PREV_COMMIT_SHA") ?? text("CI_PREV_COMMIT_SHA") },
    },
    commit: {
      sha: commit.sha,
      shortSha: commit.shortSha,
      ref: commit.ref,
      branch: commit.branch,
      tag: commit.tag,
      link: commit.link,
      message: commit.message,
      // `{{ commit.author }}` prints the name; `{{ commit.author.email }}` the address.
      author: {
        name: commit.author.name,
        email: commit.author.email,
        username: commit.author.username,
        avatar: commit.author.avatar,
        toString: () => commit.author.name,
      },
    },
    ci: context.ci,
  };
}

export type TemplateData = ReturnType<typeof templateData>;
