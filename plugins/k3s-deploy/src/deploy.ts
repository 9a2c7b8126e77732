import { HangarError, type Logger } from "@hangar/kit";
import { applyOver, type LiveBuild, liveBuildOf, newestLive, readLive } from "./builds.ts";
import type { Cluster, KubeObject } from "./cluster.ts";
import { diagnose } from "./diagnose.ts";
import { WORKLOAD_KINDS } from "./manifests.ts";
import { type DeployPlan, MANAGED_BY, objectName } from "./plan.ts";
import { prune } from "./prune.ts";
import { type RolloutResult, waitForRollouts } from "./rollout.ts";

/** Carries a deploy plan out: namespace, objects in order (never over a newer build's), prune, wait. */

export interface DeployOutcome {
  applied: { object: KubeObject; state: string }[];
  pruned: string[];
  ok: boolean;
  failures: string[];
  /** Set when a newer build is (or became) live: this one changed nothing more and stopped. */
  skipped?: string;
  /** What runs at the end, read back from the cluster. */
  running: LiveBuild;
}

export async function deploy(
  plan: DeployPlan,
  cluster: Cluster,
  log: Logger,
  signal: AbortSignal,
): Promise<DeployOutcome> {
  const dryRun = plan.serverDryRun;
  const objects = [...plan.objects];
  log.section(`applying ${objects.length} objects to ${plan.namespace}${dryRun ? " (server dry run)" : ""}`);
  const early = await prepareNamespace(plan, cluster, objects, log);
  if (early) return early;
  await refuseClusterScoped(plan, cluster, objects);

  const live = await readLive(cluster, objects);
  const newest = newestLive(live);
  const skip = (build: number): DeployOutcome => ({
    applied: [],
    pruned: [],
    ok: true,
    failures: [],
    skipped: `skipped: build ${build} is deployed in ${plan.namespace}, this is build ${plan.build}`,
    running: newest.build === build ? newest : { build, commit: undefined },
  });
  if (
    plan.override === undefined &&
    plan.build > 0 &&
    newest.build !== undefined &&
    newest.build > plan.build
  )
    return skip(newest.build);
  if (plan.override !== undefined && newest.build !== undefined && newest.build > plan.build)
    log.warn(
      `build ${newest.build} is live in ${plan.namespace}; ${plan.override}, so build ${plan.build} replaces it`,
    );

  const applied: { object: KubeObject; state: string }[] = [];
  for (const [index, object] of objects.entries()) {
    const outcome = await applyOver(cluster, plan, object, live[index]);
    if ("newer" in outcome) {
      // A newer build began while this one applied: it owns the namespace now; stop here.
      log.warn(`build ${outcome.newer} wrote ${objectName(object)} meanwhile: this older build stops`);
      return { ...skip(outcome.newer), applied, running: await readBack(cluster, objects) };
    }
    applied.push({ object: outcome.result, state: WORKLOAD_KINDS.has(object.kind) ? "applied" : "ready" });
    log.info(`✔ ${objectName(object)}${dryRun ? " (dry run)" : ""}`);
  }

  const pruned = plan.prune ? await prune(plan, cluster, log, dryRun) : [];
  const done = async (): Promise<DeployOutcome> => ({
    applied,
    pruned,
    ok: true,
    failures: [],
    running: dryRun ? newest : await readBack(cluster, objects),
  });
  if (!plan.wait || dryRun) return done();

  const workloads = applied.filter(({ object }) => WORKLOAD_KINDS.has(object.kind ?? ""));
  if (workloads.length === 0) return done();
  log.section(
    `waiting for ${workloads.map(({ object }) => `${object.kind}/${object.metadata?.name}`).join(", ")}`,
  );
  const started = Date.now();
  const { results, timedOut } = await waitForRollouts(
    cluster,
    plan.namespace,
    workloads.map(({ object }) => ({ kind: object.kind ?? "", name: object.metadata?.name ?? "" })),
    plan.timeoutMs,
    signal,
    (result) =>
      log.info(
        `${result.state.done ? "✔" : "✖"} ${result.workload.kind}/${result.workload.name}: ${result.state.message} (${((Date.now() - started) / 1000).toFixed(1)}s)`,
      ),
  );
  const byName = new Map(results.map((r) => [`${r.workload.kind}/${r.workload.name}`, r]));
  for (const entry of workloads) {
    const result = byName.get(`${entry.object.kind}/${entry.object.metadata?.name}`);
    if (result) entry.state = stateText(result);
  }
  const unready = results.filter((r) => !r.state.done);
  const failures: string[] = [];
  for (const result of unready) {
    const reasons = await diagnose(cluster, plan.namespace, result, log);
    const why = [...new Set(reasons)].join(", ");
    failures.push(
      `${result.workload.kind}/${result.workload.name}: ${result.state.message}${why ? ` (${why})` : ""}`,
    );
  }
  if (timedOut) log.error(`timed out after ${plan.timeoutMs / 1000}s waiting for the rollout`);
  return { ...(await done()), ok: unready.length === 0, failures };
}

/**
 * The namespace: created (first object) when hangar's or absent, used as it is when someone
 * else made it. A server dry run of a namespace that does not exist checks only it.
 */
async function prepareNamespace(
  plan: DeployPlan,
  cluster: Cluster,
  objects: KubeObject[],
  log: Logger,
): Promise<DeployOutcome | undefined> {
  const [first] = objects;
  const existing = await cluster.read("v1", "Namespace", undefined, plan.namespace);
  if (first?.kind !== "Namespace") {
    if (existing) return undefined;
    throw new HangarError("E_NAMESPACE_MISSING", `namespace ${plan.namespace} does not exist`, {
      hint: "Create it, or set `create_namespace: true`.",
    });
  }
  if (!existing && plan.serverDryRun) {
    // The API cannot check objects for a namespace that a dry run does not create.
    await cluster.apply(first, plan.fieldManager, true);
    log.warn(`namespace ${plan.namespace} does not exist yet: only it was checked by the server's dry run`);
    return {
      applied: [{ object: first, state: "dry run" }],
      pruned: [],
      ok: true,
      failures: [],
      running: { build: undefined, commit: undefined },
    };
  }
  if (existing?.metadata?.deletionTimestamp)
    throw new HangarError("E_NAMESPACE_TERMINATING", `namespace ${plan.namespace} is still being deleted`, {
      hint: "A teardown of this namespace has not finished; run the step again once it is gone.",
    });
  if (existing && existing.metadata?.labels?.[MANAGED_BY] !== "hangar") {
    // A namespace someone else made is used as it is, not taken over.
    objects.shift();
    log.info(`namespace ${plan.namespace} exists and is not hangar's: used as it is`);
  }
  return undefined;
}

/** Custom kinds' scope is known only from discovery: checked before anything is applied. */
async function refuseClusterScoped(plan: DeployPlan, cluster: Cluster, objects: KubeObject[]): Promise<void> {
  for (const object of objects) {
    const info = await cluster.resource(object.apiVersion ?? "", object.kind ?? "");
    const own = object.kind === "Namespace" && object.metadata?.name === plan.namespace;
    if (!info.namespaced && !own && !plan.allowClusterScoped)
      throw new HangarError(
        "E_MANIFEST_CLUSTER_SCOPED",
        `${objectName(object as never)} is cluster-scoped; a deploy changes only its namespace`,
        { hint: "Apply it another way, or set `allow_cluster_scoped: true`." },
      );
  }
}

/** What runs at the end, as the cluster says: the build and commit on the workloads (or any object). */
async function readBack(cluster: Cluster, objects: readonly KubeObject[]): Promise<LiveBuild> {
  const workloads = objects.filter((object) => WORKLOAD_KINDS.has(object.kind ?? ""));
  const looked = await readLive(cluster, workloads.length > 0 ? workloads : objects.slice(-1));
  const builds = looked.map(liveBuildOf);
  // Workloads of one deploy carry one build; if they differ, the oldest is what still runs somewhere.
  return builds.reduce<LiveBuild>(
    (oldest, each) =>
      oldest.build === undefined || (each.build !== undefined && each.build < oldest.build) ? each : oldest,
    builds[0] ?? { build: undefined, commit: undefined },
  );
}

function stateText(result: RolloutResult): string {
  if (result.state.done) return "rolled out";
  return "failed" in result.state && result.state.failed
    ? `failed: ${result.state.message}`
    : `not ready: ${result.state.message}`;
}
