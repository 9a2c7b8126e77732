/**
 * Carries a plan out: reads the tags the registry holds and decides which move (the forward-only
 * policy of @hangar/oci), makes the index (the context's layer appended to every platform of the
 * base, or the sources merged), pushes it by digest, then moves the tags that move. Blobs the
 * registry has are not sent again.
 */
import {
  HangarError,
  type Logger,
  type TransferTotals,
  transferProgress,
  trustCertificates,
} from "@hangar/kit";
import {
  appendLayer,
  type BlobProgress,
  mergeImages,
  parseSemVer,
  platformClashes,
  platformName,
  RegistryClient,
  RegistryError,
  readIdentity,
  readSources,
  readTagDigests,
  type TagDecision,
  tagIndex,
  versionTag,
} from "@hangar/oci";
import { giteaTagType } from "./gitea-tag.ts";
import { contextLayer } from "./layer.ts";
import type { AppendPlan, PublishPlan, RegistryTarget } from "./plan.ts";
import { decideTags } from "./tag-decisions.ts";

export interface PublishResult {
  digest: string;
  /** The context's layer (absent for a merge). */
  layerDigest?: string | undefined;
  decisions: TagDecision[];
  platforms: string[];
  uploaded: { blobs: number; bytes: number; ms: number };
  /** Blobs mounted from the sources (a merge). */
  mounted?: number | undefined;
}

interface Made {
  digest: string;
  bytes: Buffer;
  platforms: string[];
  layerDigest?: string;
  uploaded: { blobs: number; bytes: number; ms: number };
  mounted?: number;
}

function client(t: RegistryTarget, plan: PublishPlan, log: Logger, fetchImpl: typeof fetch): RegistryClient {
  return new RegistryClient({
    host: t.url,
    credentials: t.credentials,
    timeoutMs: plan.timeoutMs,
    attempts: 4,
    log: (line) => log.warn(line),
    fetch: fetchImpl,
  });
}

function registryError(error: unknown, t: RegistryTarget, what: string): unknown {
  if (!(error instanceof RegistryError)) return error;
  const who = t.credentials ? `as ${t.credentials.username}` : "anonymously";
  if (error.status === 401 || error.status === 403) {
    return new HangarError("E_REGISTRY_LOGIN", `${t.host} refused ${what} ${who}: ${error.message}`, {
      hint: t.credentials
        ? "Check the user name and password (for Gitea a token with the write:package scope) and that the user may push to the repository."
        : "Give a user name and password for this registry.",
    });
  }
  return new HangarError("E_REGISTRY", `${what} on ${t.host} failed: ${error.message}`, {
    hint: "Check the registry's address and that it answers the registry API (GET /v2/).",
  });
}

/** Counts each upload's bytes and time, with a line every few seconds. */
function uploadProgress(plan: PublishPlan, log: Logger) {
  const totals = { ms: 0 };
  const progress: BlobProgress = (digest, size) => {
    const p = transferProgress({
      name: `${digest.slice(0, 19)} → ${plan.registry.host}`,
      total: size,
      report: (line) => log.info(line),
    });
    return {
      add: (n) => p.add(n),
      done: (): TransferTotals => {
        const t = p.done();
        totals.ms += t.ms;
        return t;
      },
    };
  };
  return { progress, totals };
}

async function appendImage(
  plan: PublishPlan,
  a: AppendPlan,
  push: RegistryClient,
  base: RegistryClient,
  log: Logger,
): Promise<Made> {
  const layer = await contextLayer(a, plan.epoch);
  try {
    log.info(`layer ${layer.digest} (${layer.size} bytes gzip'd, ${layer.uncompressedSize} as a tar)`);
    const { progress, totals } = uploadProgress(plan, log);
    const result = await appendLayer(push, {
      base: { repository: a.base.repository, reference: a.base.reference },
      target: plan.repository,
      layers: [{ layer, createdBy: `COPY ${a.context.relative} ${a.workdir}` }],
      changes: {
        ...(a.entrypoint ? { entrypoint: a.entrypoint } : {}),
        cmd: a.cmd,
        ...(a.env ? { env: a.env } : {}),
        ...(a.user !== undefined ? { user: a.user } : {}),
        workingDir: a.workdir,
        labels: plan.labels,
        created: plan.created,
      },
      platforms: a.platforms ?? "all",
      baseClient: base,
      log: (line) => log.debug(line),
      progress,
    });
    return {
      digest: result.digest,
      bytes: result.bytes,
      platforms: result.images.map((i) => platformName(i.platform)),
      layerDigest: layer.digest,
      uploaded: { ...result.uploaded, ms: totals.ms },
    };
  } finally {
    layer.remove();
  }
}

async function mergeSources(plan: PublishPlan, push: RegistryClient, log: Logger): Promise<Made> {
  const images = await readSources(push, plan.sources ?? []);
  const clashes = platformClashes(images);
  if (clashes.length > 0) {
    throw new HangarError(
      "E_SOURCES_PLATFORM",
      `two sources offer one platform: ${clashes.map((c) => `${c.platform} in ${c.sources.join(" and ")}`).join("; ")}`,
      { hint: "List each platform once in `sources` (an index source brings every platform it lists)." },
    );
  }
  const result = await mergeImages(push, plan.repository, images, (line) => log.info(line));
  log.info(
    `blobs: ${result.blobs.mounted} mounted, ${result.blobs.present} already there, ${result.blobs.uploaded} copied`,
  );
  return {
    digest: result.digest,
    bytes: result.bytes,
    platforms: result.platforms,
    uploaded: { blobs: 0, bytes: 0, ms: 0 },
    mounted: result.blobs.mounted,
  };
}

export async function publishImage(
  plan: PublishPlan,
  log: Logger,
  fetchImpl: typeof fetch,
): Promise<PublishResult> {
  // A private CA is trusted process-wide (kit/tls.ts): every registry and Gitea call sees it.
  if (plan.ca) trustCertificates(plan.ca);
  const push = client(plan.registry, plan, log, fetchImpl);
  const tagType = plan.giteaTag ? await giteaTagType(plan.giteaTag, fetchImpl, plan.timeoutMs) : plan.tagType;
  if (plan.giteaTag) log.info(`tag ${plan.giteaTag.tag}: ${tagType?.why}`);

  let decisions: TagDecision[];
  try {
    const registryTags = await readTagDigests(push, plan.repository);
    const version = plan.tags.version ? parseSemVer(plan.tags.version) : undefined;
    const ownDigest = version ? registryTags.get(versionTag(version)) : undefined;
    const existing = ownDigest ? await readIdentity(push, plan.repository, ownDigest) : undefined;
    decisions = decideTags({ ...plan, tagType }, registryTags, existing);
  } catch (error) {
    throw registryError(error, plan.registry, `reading the tags of ${plan.repository}`);
  }
  const width = Math.max(...decisions.map((d) => d.tag.length), 3);
  for (const d of decisions) log.info(`tag ${d.tag.padEnd(width)}  ${d.move ? "push" : "keep"}  ${d.reason}`);

  const a = plan.append;
  const base = a && !a.base.sameRegistry ? client(a.base, plan, log, fetchImpl) : push;
  try {
    const made = a ? await appendImage(plan, a, push, base, log) : await mergeSources(plan, push, log);
    for (const d of decisions) if (d.move) await tagIndex(push, plan.repository, d.tag, made.bytes);
    return { ...made, decisions };
  } catch (error) {
    throw registryError(error, plan.registry, `pushing ${plan.repository}`);
  }
}
