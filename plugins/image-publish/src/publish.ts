/**
 * Carries a plan out: reads the tags the registry holds and decides which move (the forward-only
 * policy of @hangar/oci), appends the context's layer to every platform of the base, pushes the
 * index by digest, then moves the tags that move. Blobs the registry has are not sent again.
 */
import { HangarError, type Logger, type TransferTotals, transferProgress } from "@hangar/kit";
import {
  appendLayer,
  type BlobProgress,
  parseSemVer,
  planTags,
  platformName,
  RegistryClient,
  RegistryError,
  readIdentity,
  readTagDigests,
  type TagDecision,
  tagIndex,
  versionTag,
} from "@hangar/oci";
import { contextLayer } from "./layer.ts";
import type { PublishPlan, RegistryTarget } from "./plan.ts";

export interface PublishResult {
  digest: string;
  layerDigest: string;
  decisions: TagDecision[];
  platforms: string[];
  uploaded: { blobs: number; bytes: number; ms: number };
}

/** The tags this build asks for, each with whether it moves and why. */
export function decideTags(
  plan: PublishPlan,
  registryTags: ReadonlyMap<string, string>,
  existing: Parameters<typeof planTags>[0]["existing"],
): TagDecision[] {
  const decisions: TagDecision[] = [];
  const { version, aliases } = plan.tags;
  if (version && aliases !== "none") {
    const all = planTags({
      version,
      annotated: plan.tagType?.annotated ?? false,
      strategy: plan.latest,
      build: {
        revision: plan.labels["org.opencontainers.image.revision"],
        created: plan.labels["org.opencontainers.image.created"],
      },
      tags: registryTags,
      existing,
    });
    decisions.push(...(aliases === "all" ? all : all.filter((d) => d.tag === "latest")));
  } else if (aliases === "latest") {
    decisions.push(
      plan.latest === "force"
        ? { tag: "latest", move: true, reason: "latest force" }
        : { tag: "latest", move: false, reason: "no version on this build: only latest: force moves it" },
    );
  }
  for (const p of plan.tags.plain) {
    if (!decisions.some((d) => d.tag === p.tag)) decisions.push({ tag: p.tag, move: true, reason: p.why });
  }
  return decisions;
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

export async function publishImage(
  plan: PublishPlan,
  log: Logger,
  fetchImpl: typeof fetch,
): Promise<PublishResult> {
  const push = client(plan.registry, plan, log, fetchImpl);
  const base = plan.base.sameRegistry ? push : client(plan.base, plan, log, fetchImpl);

  let decisions: TagDecision[];
  try {
    const registryTags = await readTagDigests(push, plan.repository);
    const version = plan.tags.version ? parseSemVer(plan.tags.version) : undefined;
    const ownDigest = version ? registryTags.get(versionTag(version)) : undefined;
    const existing = ownDigest ? await readIdentity(push, plan.repository, ownDigest) : undefined;
    decisions = decideTags(plan, registryTags, existing);
  } catch (error) {
    throw registryError(error, plan.registry, `reading the tags of ${plan.repository}`);
  }
  const width = Math.max(...decisions.map((d) => d.tag.length), 3);
  for (const d of decisions) log.info(`tag ${d.tag.padEnd(width)}  ${d.move ? "push" : "keep"}  ${d.reason}`);

  const layer = contextLayer(plan);
  log.info(`layer ${layer.digest} (${layer.bytes.length} bytes gzip'd, ${layer.uncompressedSize} as a tar)`);
  let ms = 0;
  const progress: BlobProgress = (digest, size) => {
    const p = transferProgress({
      name: `${digest.slice(0, 19)} → ${plan.registry.host}`,
      total: size,
      report: (line) => log.info(line),
    });
    return {
      add: (n) => p.add(n),
      done: (): TransferTotals => {
        const totals = p.done();
        ms += totals.ms;
        return totals;
      },
    };
  };
  try {
    const result = await appendLayer(push, {
      base: { repository: plan.base.repository, reference: plan.base.reference },
      target: plan.repository,
      layers: [{ layer, createdBy: `COPY ${plan.context.relative} ${plan.workdir}` }],
      changes: {
        ...(plan.entrypoint ? { entrypoint: plan.entrypoint } : {}),
        cmd: plan.cmd,
        ...(plan.env ? { env: plan.env } : {}),
        ...(plan.user !== undefined ? { user: plan.user } : {}),
        workingDir: plan.workdir,
        labels: plan.labels,
        created: plan.created,
      },
      platforms: plan.platforms ?? "all",
      baseClient: base,
      log: (line) => log.debug(line),
      progress,
    });
    for (const d of decisions) if (d.move) await tagIndex(push, plan.repository, d.tag, result.bytes);
    return {
      digest: result.digest,
      layerDigest: layer.digest,
      decisions,
      platforms: result.images.map((i) => platformName(i.platform)),
      uploaded: { ...result.uploaded, ms },
    };
  } catch (error) {
    throw registryError(error, plan.registry, `pushing ${plan.repository}`);
  }
}
