import { HangarError, type Logger, mapWithLimit } from "@hangar/kit";
import type { Cluster, KubeObject } from "./cluster.ts";
import { diagnose } from "./diagnose.ts";
import { WORKLOAD_KINDS } from "./manifests.ts";
import { DEPLOYMENT_LABEL, type DeployPlan, MANAGED_BY, objectName } from "./plan.ts";
import { type RolloutResult, waitForRollouts } from "./rollout.ts";

/** Carries a deploy plan out: namespace, objects in order, prune, wait. */

/** Kinds looked at when pruning: what manifests usually hold. */
const PRUNABLE: [string, string][] = [
  ["v1", "ConfigMap"],
  ["v1", "Secret"],
  ["v1", "Service"],
  ["v1", "ServiceAccount"],
  ["v1", "PersistentVolumeClaim"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["apps/v1", "DaemonSet"],
  ["batch/v1", "Job"],
  ["networking.k8s.io/v1", "Ingress"],
];

export interface DeployOutcome {
  applied: { object: KubeObject; state: string }[];
  pruned: string[];
  ok: boolean;
  failures: string[];
}

export async function deploy(
  plan: DeployPlan,
  cluster: Cluster,
  log: Logger,
  signal: AbortSignal,
): Promise<DeployOutcome> {
  const dryRun = plan.serverDryRun;
  const [first] = plan.objects;
  const objects = [...plan.objects];
  log.section(`applying ${objects.length} objects to ${plan.namespace}${dryRun ? " (server dry run)" : ""}`);
  if (first?.kind === "Namespace") {
    const existing = await cluster.read("v1", "Namespace", undefined, plan.namespace);
    if (!existing && dryRun) {
      // The API cannot check objects for a namespace that a dry run does not create.
      await cluster.apply(first, plan.fieldManager, true);
      log.warn(`namespace ${plan.namespace} does not exist yet: only it was checked by the server's dry run`);
      return { applied: [{ object: first, state: "dry run" }], pruned: [], ok: true, failures: [] };
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
  } else if (!(await cluster.read("v1", "Namespace", undefined, plan.namespace))) {
    throw new HangarError("E_NAMESPACE_MISSING", `namespace ${plan.namespace} does not exist`, {
      hint: "Create it, or set `create_namespace: true`.",
    });
  }
  const applied: { object: KubeObject; state: string }[] = [];
  for (const object of objects) {
    const result = await cluster.apply(object, plan.fieldManager, dryRun);
    applied.push({ object: result, state: WORKLOAD_KINDS.has(object.kind) ? "applied" : "ready" });
    log.info(`✔ ${objectName(object)}${dryRun ? " (dry run)" : ""}`);
  }

  const pruned = plan.prune ? await prune(plan, cluster, log, dryRun) : [];
  if (!plan.wait || dryRun) return { applied, pruned, ok: true, failures: [] };

  const workloads = applied.filter(({ object }) => WORKLOAD_KINDS.has(object.kind ?? ""));
  if (workloads.length === 0) return { applied, pruned, ok: true, failures: [] };
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
  return { applied, pruned, ok: unready.length === 0, failures };
}

function stateText(result: RolloutResult): string {
  if (result.state.done) return "rolled out";
  return "failed" in result.state && result.state.failed
    ? `failed: ${result.state.message}`
    : `not ready: ${result.state.message}`;
}

/** Deletes this deployment's objects (by label) that the manifests no longer hold. */
async function prune(plan: DeployPlan, cluster: Cluster, log: Logger, dryRun: boolean): Promise<string[]> {
  const wanted = new Set(plan.objects.map((object) => `${object.kind}/${object.metadata.name}`));
  const selector = `${DEPLOYMENT_LABEL}=${plan.deploymentId}`;
  const lists = await mapWithLimit(PRUNABLE, 4, ([apiVersion, kind]) =>
    cluster
      .list(apiVersion, kind, plan.namespace, { labelSelector: selector })
      .then((items) => items.map((item) => ({ ...item, apiVersion, kind }))),
  );
  const stale = lists.flat().filter((item) => !wanted.has(`${item.kind}/${item.metadata?.name}`));
  for (const item of stale) {
    await cluster.delete(item, dryRun);
    log.info(`✖ pruned ${item.kind}/${item.metadata?.name}${dryRun ? " (dry run)" : ""}`);
  }
  return stale.map((item) => `${item.kind}/${item.metadata?.name}`);
}
