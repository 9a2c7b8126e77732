import { HangarError, type Logger } from "@hangar/kit";
import type { Cluster, KubeObject } from "./cluster.ts";
import { type DeployPlan, MANAGED_BY } from "./plan.ts";

/**
 * `action: delete`: removes the namespace (only one hangar created, unless `force`), waits until
 * it is gone, and names the objects that keep it in Terminating when it is not.
 */

const LOOKED_AT: [string, string][] = [
  ["v1", "ConfigMap"],
  ["v1", "Secret"],
  ["v1", "Service"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "Pod"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "Job"],
  ["networking.k8s.io/v1", "Ingress"],
];

export async function teardown(
  plan: DeployPlan,
  cluster: Cluster,
  log: Logger,
  signal: AbortSignal,
): Promise<{ existed: boolean }> {
  const namespace = await cluster.read("v1", "Namespace", undefined, plan.namespace);
  if (!namespace) {
    log.info(`namespace ${plan.namespace} does not exist: nothing to delete`);
    return { existed: false };
  }
  if (namespace.metadata?.labels?.[MANAGED_BY] !== "hangar" && !plan.force) {
    throw new HangarError(
      "E_NAMESPACE_NOT_HANGARS",
      `namespace ${plan.namespace} was not created by hangar; it is left alone`,
      {
        hint: "Check `namespace`; to delete it anyway, set `force: true`.",
      },
    );
  }
  log.section(`deleting namespace ${plan.namespace}`);
  if (!plan.serverDryRun)
    await cluster.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: plan.namespace } }, false);
  else {
    await cluster.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: plan.namespace } }, true);
    return { existed: true };
  }
  const deadline = AbortSignal.timeout(plan.timeoutMs);
  const both = AbortSignal.any([deadline, signal]);
  let gone = false;
  await cluster.watchObject(
    "/api/v1/namespaces",
    plan.namespace,
    (type) => {
      gone = type === "DELETED";
      return gone;
    },
    both,
  );
  // The watch may have begun after the namespace went: then it saw nothing.
  if (!gone && !signal.aborted) gone = !(await cluster.read("v1", "Namespace", undefined, plan.namespace));
  if (signal.aborted) throw signal.reason;
  if (gone) return { existed: true };

  const stuck = await stuckObjects(cluster, plan.namespace);
  for (const line of stuck) log.error(`stuck in Terminating: ${line}`);
  throw new HangarError(
    "E_NAMESPACE_STUCK",
    `namespace ${plan.namespace} is still Terminating after ${plan.timeoutMs / 1000}s${stuck.length ? `; held by ${stuck.length} object(s) above` : ""}`,
    {
      hint: "An object's finalizer is not being removed (its controller is gone?): remove the finalizer, or raise `timeout`.",
    },
  );
}

async function stuckObjects(cluster: Cluster, namespace: string): Promise<string[]> {
  const lines: string[] = [];
  for (const [apiVersion, kind] of LOOKED_AT) {
    for (const item of await cluster.list(apiVersion, kind, namespace)) {
      const object = item as KubeObject;
      const finalizers = object.metadata?.finalizers ?? [];
      lines.push(
        `${kind}/${object.metadata?.name}${finalizers.length ? ` (finalizers: ${finalizers.join(", ")})` : ""}`,
      );
    }
  }
  return lines;
}
