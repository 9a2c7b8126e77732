import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  formatBytes,
  formatRate,
  type Logger,
  mapWithLimit,
  StepFailed,
  transferProgress,
} from "@hangar/kit";
import type { Attachment, Release } from "gitea-js";
import { writeChecksumFiles } from "./checksums.ts";
import { discardDraft, keepNewestOfEach } from "./converge.ts";
import { GiteaCallFailed, type GiteaReleases } from "./gitea.ts";
import { generateNotes } from "./notes.ts";
import type { ReleasePlan } from "./plan.ts";

export interface PublishedRelease {
  release: Release;
  created: boolean;
  uploaded: Attachment[];
  replaced: string[];
  skipped: string[];
  /** What the uploads moved, and how long they took together (they run in parallel). */
  transferred: { bytes: number; ms: number };
}

interface Upload {
  name: string;
  absolute: string;
  /** Assets of that name the new one replaces, deleted only once it is uploaded. */
  replaces: Attachment[];
}

/**
 * Converges the release to the plan: found by its tag or created as a draft, every asset
 * uploaded (a replaced asset is deleted only after its successor is in place), then published
 * by clearing the draft flag. A draft this run created is removed again when the run fails.
 */
export async function publishRelease(
  plan: ReleasePlan,
  gitea: GiteaReleases,
  log: Logger,
  /** The same client under the clean-up signal, for removing the draft after a cancel. */
  cleanup: GiteaReleases = gitea,
  cancelled: AbortSignal = new AbortController().signal,
): Promise<PublishedRelease> {
  log.section(`release ${plan.tag} in ${plan.owner}/${plan.repo}`);
  let release = await gitea.findByTag(plan.tag);
  const note = await releaseNote(plan, gitea, log);
  let created = false;
  if (release?.id === undefined) {
    ({ release, created } = await createDraft(plan, gitea, note));
    log.info(
      created
        ? `created draft release ${plan.tag} (id ${release.id})`
        : `adopted ${release.draft ? "draft " : ""}release ${plan.tag} (id ${release.id}), which a parallel run created a moment ago`,
    );
  } else {
    log.info(`found ${release.draft ? "draft " : ""}release ${plan.tag} (id ${release.id})`);
    if (plan.overwrite) {
      release = await gitea.edit(release.id as number, {
        title: plan.title,
        note,
        prerelease: plan.prerelease,
      });
      log.info("updated its title, notes and pre-release flag (overwrite)");
    }
  }
  const id = release.id as number;

  const workdir = await mkdtemp(path.join(tmpdir(), "gitea-release-"));
  const ours = new Set<number>();
  try {
    const existing = await gitea.assets(id);
    const { uploads, skipped } = await planUploads(plan, existing, workdir, log);
    const uploadsStarted = performance.now();
    let bytes = 0;
    const uploaded = await mapWithLimit(uploads, plan.parallel, async (upload) => {
      const { size } = await stat(upload.absolute);
      const progress = transferProgress({
        name: `  ↑ ${upload.name}`,
        total: size,
        report: (line) => log.info(line),
      });
      let asset: Attachment;
      try {
        asset = await gitea.upload(id, upload.name, upload.absolute, progress.add);
      } finally {
        progress.done();
      }
      const totals = progress.done();
      bytes += size;
      ours.add(asset.id ?? -1);
      log.info(
        `  ↑ ${upload.name} (${formatBytes(asset.size ?? 0)}, ${(totals.ms / 1000).toFixed(1)}s, ${formatRate((size * 1000) / Math.max(totals.ms, 1))})`,
      );
      for (const old of upload.replaces) await gitea.remove(id, old.id ?? -1, upload.name);
      if (upload.replaces.length > 0) log.info(`    replaced the earlier ${upload.name}`);
      return asset;
    });
    await keepNewestOfEach(
      gitea,
      id,
      uploads.map((upload) => upload.name),
      log,
    );

    if (!plan.draft && release.draft) {
      release = await gitea.edit(id, { draft: false });
      log.info(`published ${plan.tag}: it was a draft until every asset was in place`);
    } else if (plan.draft && !release.draft) {
      log.warn(`draft: true, but ${plan.tag} is published already; it stays published`);
    }
    // What the release holds now, read back: another run may have changed it meanwhile.
    release = (await gitea.get(id)) ?? release;
    return {
      release,
      created,
      uploaded,
      replaced: uploads.filter((upload) => upload.replaces.length > 0).map((upload) => upload.name),
      skipped,
      transferred: { bytes, ms: uploads.length > 0 ? performance.now() - uploadsStarted : 0 },
    };
  } catch (error) {
    if (created) await discardDraft(cleanup, id, ours, log, cancelled.aborted);
    throw error;
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

async function createDraft(
  plan: ReleasePlan,
  gitea: GiteaReleases,
  note: string,
): Promise<{ release: Release; created: boolean }> {
  try {
    const release = await gitea.create({
      tag: plan.tag,
      target: plan.target,
      title: plan.title,
      note,
      prerelease: plan.prerelease,
    });
    return { release, created: true };
  } catch (error) {
    // Someone (a parallel run) created it between the lookup and now: converge on theirs, and
    // leave its removal on failure to the run that created it.
    if (error instanceof GiteaCallFailed && error.status === 409) {
      const theirs = await gitea.findByTag(plan.tag);
      if (theirs) return { release: theirs, created: false };
    }
    throw error;
  }
}

/** Which files go up, after the `file_exists` policy; `fail` stops here, before any upload. */
async function planUploads(
  plan: ReleasePlan,
  existing: Attachment[],
  workdir: string,
  log: Logger,
): Promise<{ uploads: Upload[]; skipped: string[] }> {
  const files = plan.assets.map((asset) => ({ name: asset.name, absolute: asset.absolute }));
  const names = [...files.map((file) => file.name), ...plan.checksums.map((checksum) => checksum.name)];
  const clashes = names.filter((name) => existing.some((asset) => asset.name === name));
  if (clashes.length > 0 && plan.fileExists === "fail") {
    throw new StepFailed(
      `the release already has ${clashes.join(", ")}; nothing was uploaded (file_exists: fail)`,
      {
        code: "E_ASSET_EXISTS",
        hint: "Use `file_exists: overwrite` to replace them or `skip` to keep them.",
      },
    );
  }
  if (plan.checksums.length > 0 && files.length > 0) {
    files.push(...(await writeChecksumFiles(files, plan.checksums, workdir)));
    log.info(`checksums: ${plan.checksums.map((checksum) => checksum.name).join(", ")}`);
  }
  const skipped: string[] = [];
  const uploads: Upload[] = [];
  for (const file of files) {
    const replaces = existing.filter((asset) => asset.name === file.name);
    if (replaces.length > 0 && plan.fileExists === "skip") {
      skipped.push(file.name);
      log.info(`  = ${file.name}: kept the one the release has (file_exists: skip)`);
      continue;
    }
    uploads.push({ ...file, replaces });
  }
  return { uploads, skipped };
}

/** `note`, then the generated notes when asked for. */
async function releaseNote(plan: ReleasePlan, gitea: GiteaReleases, log: Logger): Promise<string> {
  const parts = plan.note ? [plan.note.trim()] : [];
  if (plan.generateNotes) {
    const tags = (await gitea.tags()).map((tag) => tag.name);
    const at = tags.indexOf(plan.tag);
    const previous = at === -1 ? tags[0] : tags[at + 1];
    // A tag that does not exist yet will be created on the target (Gitea: the default branch).
    const head = at === -1 ? plan.target || (await gitea.defaultBranch()) : plan.tag;
    const commits = previous ? await gitea.compare(previous, head) : [];
    log.info(
      previous
        ? `notes: ${commits.length} commit(s) since ${previous}`
        : "notes: no earlier tag; first release",
    );
    parts.push(
      previous
        ? generateNotes(commits, { from: previous, to: plan.tag })
        : `## ${plan.tag}\n\nFirst release.`,
    );
  }
  return parts.join("\n\n");
}
