import { HangarError, mapWithLimit } from "@hangar/kit";
import { SUMS_FILE } from "./layout.ts";
import { type VersionEntry, withVersion } from "./manifest.ts";
import type { Site } from "./site.ts";
import { sameContent, verifyObject } from "./versioned.ts";

export interface PromoteResult {
  entry: VersionEntry;
  from: string;
  copied: string[];
  kept: string[];
  latestMoved: boolean;
}

/**
 * Copies a version from one channel to another inside the store (CopyObject: nothing is
 * downloaded or uploaded again), checks each copy, then updates latest.json, index.json and the
 * page as a publish does: the way a beta becomes stable without a rebuild. A failure before the
 * index is written removes the copies it made and puts latest.json back.
 */
export async function promoteVersion(site: Site, cleanup: Site): Promise<PromoteResult> {
  const { plan, store, log } = site;
  const target = plan.channel ?? "";
  const { index } = await site.readIndex();
  const holders = Object.entries(index.channels)
    .filter(([name, channel]) => name !== target && channel.versions.some((v) => v.version === plan.version))
    .map(([name]) => name);
  const from = plan.from ?? (holders.length === 1 ? holders[0] : undefined);
  if (!from) {
    throw new HangarError(
      "E_PROMOTE_SOURCE",
      holders.length === 0
        ? `no channel of the site holds ${plan.version} (besides ${target})`
        : `${plan.version} is in ${holders.join(" and ")}: which one to promote is not clear`,
      {
        hint:
          holders.length === 0
            ? "Check version, or publish it first."
            : "Set from to the channel to copy from.",
      },
    );
  }
  const source = index.channels[from]?.versions.find((v) => v.version === plan.version);
  if (!source) {
    throw new HangarError("E_PROMOTE_SOURCE", `${from} does not hold ${plan.version}`, {
      hint: "Check version and from against the site's index.json.",
    });
  }

  const created: string[] = [];
  const copied: string[] = [];
  const kept: string[] = [];
  let undoLatest: (() => Promise<void>) | undefined;
  try {
    const names = [
      ...source.files.map((file) => ({ name: file.name, size: file.size, sha256: file.sha256 })),
      { name: SUMS_FILE },
    ];
    await mapWithLimit(names, plan.parallel, async (file) => {
      const fromKey = site.layout.versionKey(from, plan.version, file.name);
      const toKey = site.layout.versionKey(target, plan.version, file.name);
      const sourceHead = await store.head(fromKey);
      if (!sourceHead || ("sha256" in file && sourceHead.sha256 !== file.sha256)) {
        throw new HangarError("E_PROMOTE_SOURCE", `${fromKey} is missing or not the file index.json lists`, {
          hint: "Publish the version again to its channel, then promote it.",
        });
      }
      const expected = { size: sourceHead.size, sha256: sourceHead.sha256 ?? "", etags: [sourceHead.etag] };
      const existing = await store.head(toKey);
      if (sameContent(existing, expected)) {
        kept.push(file.name);
        return;
      }
      if (!existing) created.push(toKey);
      await store.copy(fromKey, toKey);
      await verifyObject(store, toKey, expected);
      copied.push(file.name);
      log.info(`${toKey}: copied from ${fromKey} inside the store`);
    });

    const entry: VersionEntry = {
      ...source,
      channel: target,
      url: site.url(`${site.layout.key(target, plan.version)}/`),
      files: source.files.map((file) => ({
        ...file,
        url: site.url(site.layout.versionKey(target, plan.version, file.name)),
      })),
    };
    const latest = await site.writeLatest(entry);
    undoLatest = latest.undo;
    await site.updateIndex((current) => withVersion(current, entry, plan.channels, site.now().toISOString()));
    return { entry, from, copied, kept, latestMoved: latest.moved };
  } catch (error) {
    log.warn("promote failed; putting the site back as it was");
    await undoLatest?.().catch((undo) => log.error(`could not put latest.json back: ${String(undo)}`));
    for (const key of created)
      await cleanup.store.delete(key).catch(() => log.error(`could not remove ${key}`));
    throw error;
  }
}
