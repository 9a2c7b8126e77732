import { errorMessage, type Logger } from "@hangar/kit";
import type { GiteaReleases } from "./gitea.ts";

/**
 * Two runs for one tag at once (a re-run while the first still uploads) share one release: the
 * second finds the first's draft by its tag, or is answered 409 when it creates its own, and
 * adopts it. Both upload; afterwards each keeps, of every asset name it uploaded, only the
 * newest asset (the highest id) and deletes the others. Every run applies the same rule, so
 * whichever finishes last leaves each asset exactly once, whatever the order.
 */
export async function keepNewestOfEach(
  gitea: GiteaReleases,
  id: number,
  names: readonly string[],
  log: Logger,
): Promise<void> {
  const assets = await gitea.assets(id);
  for (const name of names) {
    const same = assets
      .filter((asset) => asset.name === name)
      .sort((left, right) => (right.id ?? 0) - (left.id ?? 0));
    // Deleting one another run deleted already answers 404, which `remove` takes as done.
    for (const older of same.slice(1)) await gitea.remove(id, older.id ?? -1, name);
    if (same.length > 1) log.info(`  ${name}: uploaded by another run at the same time; kept the newest`);
  }
}

/**
 * Removes the draft this run created after a failure or a cancel, so a re-run starts afresh;
 * under the clean-up signal, which outlives a cancel by the grace period. A draft another run
 * has adopted meanwhile (it holds assets this run did not upload) is left to that run.
 */
export async function discardDraft(
  cleanup: GiteaReleases,
  id: number,
  ours: ReadonlySet<number>,
  log: Logger,
  cancelled: boolean,
): Promise<void> {
  const why = cancelled ? "cancelled: " : "";
  try {
    const others = (await cleanup.assets(id)).filter((asset) => !ours.has(asset.id ?? -1));
    if (others.length > 0) {
      log.warn(
        `${why}left the draft release (id ${id}) in place: it holds ${others.map((asset) => asset.name).join(", ")}, which this run did not upload (another run is using it; a re-run adopts it)`,
      );
      return;
    }
    await cleanup.deleteRelease(id);
    log.warn(`${why}removed the draft release this run had created (id ${id}); a re-run starts afresh`);
  } catch (error) {
    log.warn(
      `${why}could not remove the draft release this run had created (id ${id}): ${errorMessage(error)}`,
    );
  }
}
