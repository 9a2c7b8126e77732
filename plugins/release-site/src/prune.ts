import { mapWithLimit } from "@hangar/kit";
import { SUMS_FILE } from "./layout.ts";
import { type VersionEntry, withoutVersions } from "./manifest.ts";
import type { Site } from "./site.ts";
import { newestFirst } from "./version.ts";

export interface PruneResult {
  removed: { channel: string; version: string }[];
}

/**
 * Keeps the newest `keep` versions of each channel (the one channel of `channel`, or all), and
 * never the one its latest.json names. The versions leave index.json and the page first, their
 * files after: a downloader never follows a link to something already removed.
 */
export async function pruneVersions(site: Site): Promise<PruneResult> {
  const { plan, store, log } = site;
  const { index } = await site.readIndex();
  const channels = plan.channel ? [plan.channel] : Object.keys(index.channels);
  const doomed: { channel: string; entry: VersionEntry }[] = [];
  for (const channel of channels) {
    const latest = (await site.readLatest(channel)).entry?.version;
    const versions = [...(index.channels[channel]?.versions ?? [])].sort((a, b) =>
      newestFirst(a.version, b.version),
    );
    for (const entry of versions.slice(plan.keep)) {
      if (entry.version !== latest) doomed.push({ channel, entry });
    }
  }
  if (doomed.length === 0) {
    log.info(`nothing to prune: no channel has more than ${plan.keep} version(s)`);
    return { removed: [] };
  }
  await site.updateIndex((current) =>
    channels.reduce(
      (next, channel) =>
        withoutVersions(
          next,
          channel,
          doomed.filter((d) => d.channel === channel).map((d) => d.entry.version),
          plan.channels,
          site.now().toISOString(),
        ),
      current,
    ),
  );
  const keys = doomed.flatMap(({ channel, entry }) =>
    [...entry.files.map((file) => file.name), SUMS_FILE].map((name) =>
      site.layout.versionKey(channel, entry.version, name),
    ),
  );
  await mapWithLimit(keys, plan.parallel, async (key) => {
    await store.delete(key);
    log.info(`removed ${key}`);
  });
  return { removed: doomed.map(({ channel, entry }) => ({ channel, version: entry.version })) };
}
