import { rm } from "node:fs/promises";
import { apiError, type Call, canWrite, notFound, type OperationHandler, paramId } from "./call.ts";
import { formOptionalBool } from "./pagination.ts";
import { presentRelease } from "./present.ts";
import type { ReleaseInput, ReleaseRecord } from "./releases.ts";
import { orRefusal, paged, whenFound } from "./replies.ts";

// routers/api/v1/repo/release.go and release_tags.go of Gitea 1.22.

const present = (call: Call, release: ReleaseRecord) => presentRelease(call.world.site, release, call.viewer);

/** GetReleaseForRepoByID + the IsTag check every release-by-id handler makes. */
function releaseById(call: Call): ReleaseRecord | undefined {
  const release = call.world.store.byId(paramId(call, "id"));
  return release && !release.isTag ? release : undefined;
}

async function removeFiles(paths: string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}

export const releaseHandlers: Record<string, OperationHandler> = {
  repoListReleases: {
    handle(call) {
      const all = call.world.store.list({
        // IncludeDrafts only for callers with write access; the filters apply on top.
        includeDrafts: canWrite(call),
        draft: formOptionalBool(call.query, "draft"),
        prerelease: formOptionalBool(call.query, "pre-release"),
      });
      return paged(call, all, (each) => present(call, each));
    },
  },

  repoGetLatestRelease: {
    handle(call) {
      const latest = call.world.store.list({ includeDrafts: false, draft: false, prerelease: false })[0];
      return latest ? { status: 200, json: present(call, latest) } : notFound(call.world);
    },
  },

  repoGetRelease: {
    handle: whenFound(releaseById, (call, release) => ({ status: 200, json: present(call, release) })),
  },

  repoGetReleaseByTag: {
    handle(call) {
      const release = call.world.store.byTag(call.params.tag ?? "");
      // Gitea 1.22 does not filter drafts here (unlike GitHub); "hidden" mimics GitHub for tests
      // that want to prove a client does not depend on it.
      const hidden = release?.isDraft === true && call.world.settings.draftsByTag === "hidden";
      if (!release || release.isTag || hidden) return notFound(call.world);
      return { status: 200, json: present(call, release) };
    },
  },

  repoCreateRelease: {
    write: true,
    body: "CreateReleaseOption",
    handle(call) {
      if (call.world.site.git.isEmpty) return apiError(call.world, 422, "repo is empty");
      const body = call.body;
      const input: ReleaseInput = {
        tagName: String(body.tag_name ?? ""),
        target: String(body.target_commitish ?? ""),
        title: String(body.name ?? ""),
        note: String(body.body ?? ""),
        isDraft: body.draft === true,
        isPrerelease: body.prerelease === true,
      };
      return orRefusal(call, () => {
        const release = call.world.store.create(input, call.world.site.git.defaultBranch);
        return { status: 201, json: present(call, release) };
      });
    },
  },

  repoEditRelease: {
    write: true,
    body: "EditReleaseOption",
    handle: whenFound(releaseById, (call, release) => {
      const body = call.body;
      const text = (value: unknown) => (typeof value === "string" ? value : undefined);
      const flag = (value: unknown) => (typeof value === "boolean" ? value : undefined);
      return orRefusal(call, () => {
        call.world.store.update(release, {
          tagName: text(body.tag_name),
          target: text(body.target_commitish),
          title: text(body.name),
          note: text(body.body),
          isDraft: flag(body.draft),
          isPrerelease: flag(body.prerelease),
        });
        return { status: 200, json: present(call, release) };
      });
    }),
  },

  repoDeleteRelease: {
    write: true,
    handle: whenFound(releaseById, async (call, release) => {
      await removeFiles(call.world.store.remove(release).map((each) => each.path));
      return { status: 204 };
    }),
  },

  repoDeleteReleaseByTag: {
    write: true,
    async handle(call) {
      const release = call.world.store.byTag(call.params.tag ?? "");
      if (!release || release.isTag) return notFound(call.world);
      await removeFiles(call.world.store.remove(release).map((each) => each.path));
      return { status: 204 };
    },
  },
};
