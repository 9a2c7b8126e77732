import { HangarError, mapWithLimit } from "@hangar/kit";
import type { Cluster, KubeObject } from "./cluster.ts";
import { ConflictError } from "./cluster-error.ts";
import { BUILD_ANNOTATION, COMMIT_ANNOTATION, type DeployPlan, MANAGED_BY, objectName } from "./plan.ts";

/**
 * No time travel: every object hangar applies carries the number of the build that applied it.
 * An object is only ever written over the version this build read, and only when that version
 * is not from a newer build (unless the event is a promote/rollback, or `force`). Two deploys of
 * one namespace at once thus end with the newer build's objects whatever order they finish in:
 * the older one meets the newer one's annotation (or a changed resourceVersion, then reads
 * again) and stops.
 */

export interface LiveBuild {
  build: number | undefined;
  commit: string | undefined;
}

export function liveBuildOf(object: KubeObject | undefined): LiveBuild {
  const annotations = object?.metadata?.annotations ?? {};
  const number = Number(annotations[BUILD_ANNOTATION]);
  return {
    build: Number.isInteger(number) && number > 0 ? number : undefined,
    commit: annotations[COMMIT_ANNOTATION] ?? object?.metadata?.labels?.["hangar.dev/commit"],
  };
}

/** Whether what `live` carries is from a newer build that this one may not replace. */
export function isNewer(plan: DeployPlan, live: KubeObject | undefined): number | undefined {
  if (plan.override !== undefined || plan.build === 0) return undefined;
  // Objects another tool made (a namespace not hangar's) are nobody's build.
  if (live?.kind !== "Namespace" || live.metadata?.labels?.[MANAGED_BY] === "hangar") {
    const { build } = liveBuildOf(live);
    if (build !== undefined && build > plan.build) return build;
  }
  return undefined;
}

const read = (cluster: Cluster, object: KubeObject) =>
  cluster.read(
    object.apiVersion ?? "",
    object.kind ?? "",
    object.metadata?.namespace,
    object.metadata?.name ?? "",
  );

/** The objects as they are live now (undefined where absent), read before anything is applied. */
export async function readLive(
  cluster: Cluster,
  objects: readonly KubeObject[],
): Promise<(KubeObject | undefined)[]> {
  return mapWithLimit([...objects], 4, (object) => read(cluster, object));
}

/** The newest build among the live objects, with its commit. */
export function newestLive(live: readonly (KubeObject | undefined)[]): LiveBuild {
  let newest: LiveBuild = { build: undefined, commit: undefined };
  for (const object of live) {
    const each = liveBuildOf(object);
    if (each.build !== undefined && (newest.build === undefined || each.build > newest.build)) newest = each;
  }
  return newest;
}

export type Applied = { result: KubeObject } | { newer: number };

const ATTEMPTS = 8;

/**
 * Applies one object over the version `live` (as read) and no other: a 409 means another deploy
 * wrote it in between, so it is read again and decided again.
 */
export async function applyOver(
  cluster: Cluster,
  plan: DeployPlan,
  object: KubeObject,
  live: KubeObject | undefined,
): Promise<Applied> {
  let current = live;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const newer = isNewer(plan, current);
    if (newer !== undefined) return { newer };
    const resourceVersion = current?.metadata?.resourceVersion;
    const sent = resourceVersion ? { ...object, metadata: { ...object.metadata, resourceVersion } } : object;
    try {
      return { result: await cluster.apply(sent, plan.fieldManager, plan.serverDryRun) };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = await read(cluster, object);
    }
  }
  throw new HangarError(
    "E_KUBERNETES_CONFLICT",
    `${objectName(object as never)} kept changing while this build applied it (${ATTEMPTS} attempts)`,
    { hint: "Another deploy or a controller writes it at the same time; run the step again." },
  );
}
