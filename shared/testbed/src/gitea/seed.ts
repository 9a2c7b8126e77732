import { createHash, randomUUID } from "node:crypto";
import type { GiteaSeedRelease } from "./options.ts";
import type { ReleaseStore } from "./releases.ts";
import type { GitRepository } from "./repository.ts";

/** Creates the releases of the options (as a client would have) and stores their assets. */
export async function seedReleases(
  store: ReleaseStore,
  git: GitRepository,
  releases: readonly GiteaSeedRelease[],
  write: (name: string, content: string | Uint8Array) => Promise<string>,
): Promise<void> {
  for (const seed of releases) {
    const release = store.create(
      {
        tagName: seed.tag,
        target: seed.target ?? git.defaultBranch,
        title: seed.name ?? seed.tag,
        note: seed.body ?? "",
        isDraft: seed.draft ?? false,
        isPrerelease: seed.prerelease ?? false,
      },
      git.defaultBranch,
    );
    for (const asset of seed.assets ?? []) {
      const bytes = typeof asset.content === "string" ? Buffer.from(asset.content) : asset.content;
      const path = await write(asset.name, bytes);
      store.addAttachment(release, {
        uuid: randomUUID(),
        name: asset.name,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        path,
      });
    }
  }
}
