import { errorMessage, HangarError, mapWithLimit, type TransferTotals, transferProgress } from "@hangar/kit";
import { digestFile, partSizeFor } from "./digest.ts";
import { contentType, IMMUTABLE, SUMS_FILE } from "./layout.ts";
import { type FileEntry, sumsText, type VersionEntry, withVersion } from "./manifest.ts";
import type { Site } from "./site.ts";
import { expectedText, sameContent, verifyObject } from "./versioned.ts";

export interface PublishResult {
  entry: VersionEntry;
  uploaded: string[];
  kept: string[];
  latestMoved: boolean;
  transferred: TransferTotals;
}

/**
 * Publishes the plan's files as its version in its channel. The order is what keeps the site
 * consistent for a poller: the files and SHA256SUMS first, each checked; then latest.json; then
 * index.json and the page. A failure before index.json is written puts latest.json back and
 * removes every object this run created, so the site is as it was.
 */
export async function publishVersion(site: Site, cleanup: Site): Promise<PublishResult> {
  const { plan, store, log } = site;
  const channel = plan.channel ?? "";
  const { index } = await site.readIndex();
  const listed = index.channels[channel]?.versions.find((entry) => entry.version === plan.version);

  const digests = await mapWithLimit(plan.files, plan.parallel, async (file) => {
    const partSize = partSizeFor(file.size);
    return { file, partSize, digest: await digestFile(file.absolute, partSize) };
  });

  const created: string[] = [];
  const uploaded: string[] = [];
  const kept: string[] = [];
  let undoLatest: (() => Promise<void>) | undefined;
  const started = performance.now();
  let bytes = 0;
  try {
    await mapWithLimit(digests, plan.parallel, async ({ file, partSize, digest }) => {
      const key = site.layout.versionKey(channel, plan.version, file.name);
      const expected = { size: digest.size, sha256: digest.sha256, etags: digest.etags };
      const existing = await store.head(key);
      if (sameContent(existing, expected)) {
        kept.push(file.name);
        log.info(`${key}: already there with the same SHA-256, kept`);
        return;
      }
      if (existing && listed) {
        throw new HangarError(
          "E_VERSION_PUBLISHED",
          `${plan.version} is published in ${channel} already, and its ${file.name} differs from this build's`,
          {
            hint: "A published version's files never change (downloaders cache them for a year): publish a new version.",
          },
        );
      }
      if (!existing) created.push(key);
      const progress = transferProgress({
        name: `${file.name} → s3://${store.bucket}/${key}`,
        total: file.size,
        report: (line) => log.info(line),
      });
      let loaded = 0;
      try {
        await store.upload(
          key,
          file.absolute,
          {
            contentType: contentType(file.name),
            cacheControl: IMMUTABLE,
            sha256: digest.sha256,
            partSize,
            size: digest.size,
          },
          (now) => {
            progress.add(Math.max(0, now - loaded));
            loaded = Math.max(loaded, now);
          },
        );
      } finally {
        bytes += progress.done().bytes;
      }
      await verifyObject(store, key, expected);
      uploaded.push(file.name);
      log.info(`${key}: uploaded and checked (${digest.size} bytes, sha256 ${digest.sha256})`);
    });

    const files: FileEntry[] = digests.map(({ file, digest }) => ({
      name: file.name,
      size: digest.size,
      sha256: digest.sha256,
      url: site.url(site.layout.versionKey(channel, plan.version, file.name)),
    }));
    const sums = sumsText(files);
    const sumsKey = site.layout.versionKey(channel, plan.version, SUMS_FILE);
    const sumsExpected = expectedText(sums);
    const sumsHead = await store.head(sumsKey);
    if (!sameContent(sumsHead, sumsExpected)) {
      if (!sumsHead) created.push(sumsKey);
      await store.putText(sumsKey, sums, {
        contentType: contentType(SUMS_FILE),
        cacheControl: IMMUTABLE,
        metadata: { sha256: sumsExpected.sha256 },
      });
      await verifyObject(store, sumsKey, sumsExpected);
    }

    // A re-run of the same files keeps the first run's date, so the manifests come out the same.
    const same =
      listed !== undefined &&
      JSON.stringify(listed.files.map(({ name, sha256 }) => [name, sha256])) ===
        JSON.stringify(files.map(({ name, sha256 }) => [name, sha256]));
    const entry: VersionEntry = {
      version: plan.version,
      channel,
      date: same ? listed.date : site.now().toISOString(),
      commit: plan.commit,
      ...(plan.notes ? { notes: plan.notes } : {}),
      url: site.url(`${site.layout.key(channel, plan.version)}/`),
      files,
    };
    const latest = await site.writeLatest(entry);
    undoLatest = latest.undo;
    await site.updateIndex((current) => withVersion(current, entry, plan.channels, site.now().toISOString()));
    const ms = performance.now() - started;
    return {
      entry,
      uploaded,
      kept,
      latestMoved: latest.moved,
      transferred: { bytes, ms, rate: ms > 0 ? (bytes * 1000) / ms : 0 },
    };
  } catch (error) {
    await rollBack(cleanup, created, undoLatest, error);
    throw error;
  }
}

/** Puts latest.json back and removes what this run created; says what it did. */
async function rollBack(
  cleanup: Site,
  created: readonly string[],
  undoLatest: (() => Promise<void>) | undefined,
  cause: unknown,
): Promise<void> {
  const { log } = cleanup;
  log.warn(`publish failed (${errorMessage(cause)}); putting the site back as it was`);
  try {
    await undoLatest?.();
  } catch (error) {
    log.error(`could not put latest.json back: ${errorMessage(error)}`);
  }
  for (const key of created) {
    try {
      await cleanup.store.delete(key);
      log.info(`removed ${key}`);
    } catch (error) {
      log.error(`could not remove ${key}: ${errorMessage(error)}`);
    }
  }
}
