import type { BuildContext } from "@hangar/kit";

/**
 * The variables subject and body templates see, named as drillster/drone-email names them
 * (`build.status`, `repo.owner`, `commit.author.email` …), so existing templates keep working.
 */
export function templateData(context: BuildContext) {
  const { build, commit, repo } = context;
  const started = build.startedAt ? Math.floor(build.startedAt.getTime() / 1000) : undefined;
  const finished = build.finishedAt ? Math.floor(build.finishedAt.getTime() / 1000) : undefined;
  return {
    repo: { owner: repo.owner, name: repo.name, fullName: repo.fullName, link: repo.link },
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
      created: started,
      pull: context.pullRequest,
      deployTo: build.deployTo,
      failedSteps: build.failedSteps,
      failedStages: build.failedStages,
    },
    prev: { build: { status: build.previousStatus } },
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
