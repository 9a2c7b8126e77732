import { type Logger, mapWithLimit } from "@hangar/kit";
import { isNewer } from "./builds.ts";
import type { Cluster } from "./cluster.ts";
import { DEPLOYMENT_LABEL, type DeployPlan } from "./plan.ts";

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

/**
 * Deletes this deployment's objects (by label) that the manifests no longer hold. An object a
 * newer build wrote is never deleted, and each is deleted only at the version listed (a deploy
 * running at the same time may have just written it).
 */
export async function prune(
  plan: DeployPlan,
  cluster: Cluster,
  log: Logger,
  dryRun: boolean,
): Promise<string[]> {
  const wanted = new Set(plan.objects.map((object) => `${object.kind}/${object.metadata.name}`));
  const selector = `${DEPLOYMENT_LABEL}=${plan.deploymentId}`;
  const lists = await mapWithLimit(PRUNABLE, 4, ([apiVersion, kind]) =>
    cluster.list(apiVersion, kind, plan.namespace, { labelSelector: selector }).then((items) =>
      items.map((item) => ({
        ...item,
        apiVersion,
        kind,
        metadata: { ...item.metadata, namespace: plan.namespace },
      })),
    ),
  );
  const stale = lists.flat().filter((item) => !wanted.has(`${item.kind}/${item.metadata?.name}`));
  const pruned: string[] = [];
  for (const item of stale) {
    const name = `${item.kind}/${item.metadata?.name}`;
    const newer = isNewer(plan, item);
    if (newer !== undefined) {
      log.info(`kept ${name}: build ${newer} applied it`);
      continue;
    }
    if ((await cluster.delete(item, dryRun, item.metadata?.resourceVersion)) === "changed") {
      log.info(`kept ${name}: it changed while this build pruned`);
      continue;
    }
    pruned.push(name);
    log.info(`✖ pruned ${name}${dryRun ? " (dry run)" : ""}`);
  }
  return pruned;
}
