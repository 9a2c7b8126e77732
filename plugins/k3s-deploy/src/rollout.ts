import type { V1DaemonSet, V1Deployment, V1Job, V1StatefulSet } from "@kubernetes/client-node";
import type { Cluster, KubeObject } from "./cluster.ts";

/**
 * When a workload is rolled out, by kubectl's rules (`kubectl rollout status`): the controller
 * has seen the new generation, every replica is updated, the old ones are gone and the new ones
 * available. A Deployment past its progress deadline, or a failed Job, fails at once.
 */

export type RolloutState =
  | { done: true; message: string }
  | { done: false; failed: boolean; message: string };

type Condition = { type: string; status: string; reason?: string; message?: string };
const condition = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((each) => each.type === type);

export function rolloutState(object: KubeObject): RolloutState {
  const generation = object.metadata?.generation ?? 0;
  const pending = (message: string): RolloutState => ({ done: false, failed: false, message });
  const observed = (status: { observedGeneration?: number } | undefined) =>
    (status?.observedGeneration ?? 0) >= generation;
  switch (object.kind) {
    case "Deployment": {
      const { spec, status } = object as V1Deployment;
      if (!observed(status)) return pending("waiting for the rollout to be observed");
      const progressing = condition(status?.conditions, "Progressing");
      if (progressing?.reason === "ProgressDeadlineExceeded")
        return {
          done: false,
          failed: true,
          message: `exceeded its progress deadline (${progressing.message ?? ""})`,
        };
      const want = spec?.replicas ?? 1;
      const updated = status?.updatedReplicas ?? 0;
      const total = status?.replicas ?? 0;
      const available = status?.availableReplicas ?? 0;
      if (updated < want) return pending(`${updated} of ${want} updated replicas`);
      if (total > updated) return pending(`${total - updated} old replicas are pending termination`);
      if (available < updated) return pending(`${available} of ${updated} updated replicas are available`);
      return { done: true, message: `${updated} of ${want} replicas available` };
    }
    case "StatefulSet": {
      const { spec, status } = object as V1StatefulSet;
      if (!observed(status)) return pending("waiting for the rollout to be observed");
      if (spec?.updateStrategy?.type === "OnDelete")
        return { done: true, message: "OnDelete: not rolled out by the controller" };
      const want = spec?.replicas ?? 1;
      const ready = status?.readyReplicas ?? 0;
      if (ready < want) return pending(`${ready} of ${want} pods ready`);
      const partition = spec?.updateStrategy?.rollingUpdate?.partition;
      if (partition) {
        const updated = status?.updatedReplicas ?? 0;
        if (updated < want - partition) return pending(`${updated} of ${want - partition} pods updated`);
        return { done: true, message: `partitioned rollout: ${updated} pods updated` };
      }
      if (status?.updateRevision !== status?.currentRevision)
        return pending("waiting for the rolling update to complete");
      return { done: true, message: `${want} of ${want} pods ready` };
    }
    case "DaemonSet": {
      const { status } = object as V1DaemonSet;
      if (!observed(status)) return pending("waiting for the rollout to be observed");
      const want = status?.desiredNumberScheduled ?? 0;
      const updated = status?.updatedNumberScheduled ?? 0;
      const available = status?.numberAvailable ?? 0;
      if (updated < want) return pending(`${updated} of ${want} updated pods scheduled`);
      if (available < want) return pending(`${available} of ${want} updated pods available`);
      return { done: true, message: `${want} of ${want} pods available` };
    }
    case "Job": {
      const { status } = object as V1Job;
      const failed = condition(status?.conditions, "Failed");
      if (failed?.status === "True")
        return {
          done: false,
          failed: true,
          message: `failed: ${failed.reason ?? ""} ${failed.message ?? ""}`.trim(),
        };
      if (condition(status?.conditions, "Complete")?.status === "True")
        return { done: true, message: "complete" };
      return pending(`${status?.active ?? 0} active, ${status?.succeeded ?? 0} succeeded`);
    }
    default:
      return { done: true, message: "not a workload" };
  }
}

export interface WorkloadRef {
  apiPath: string;
  kind: string;
  name: string;
}

export interface RolloutResult {
  workload: WorkloadRef;
  state: RolloutState;
  last?: KubeObject | undefined;
}

/** Path of a workload kind's collection in a namespace: `/apis/apps/v1/namespaces/ns/deployments`. */
export function collectionPath(kind: string, namespace: string): string {
  const group = kind === "Job" ? "batch" : "apps";
  return `/apis/${group}/v1/namespaces/${namespace}/${kind.toLowerCase()}s`;
}

/**
 * Watches every workload at once under one deadline; resolves with each one's final state
 * (done, failed, or still pending when the deadline passed).
 */
export async function waitForRollouts(
  cluster: Cluster,
  namespace: string,
  workloads: { kind: string; name: string }[],
  timeoutMs: number,
  signal: AbortSignal,
  onDone: (result: RolloutResult) => void,
): Promise<{ results: RolloutResult[]; timedOut: boolean }> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const all = AbortSignal.any([deadline, signal]);
  const results = await Promise.all(
    workloads.map(async ({ kind, name }) => {
      const workload = { apiPath: collectionPath(kind, namespace), kind, name };
      const result: RolloutResult = {
        workload,
        state: { done: false, failed: false, message: "not seen yet" },
      };
      await cluster.watchObject(
        workload.apiPath,
        name,
        (type, object) => {
          if (type === "DELETED") {
            result.state = { done: false, failed: true, message: "was deleted while waiting" };
            return true;
          }
          result.last = object;
          result.state = rolloutState(object);
          return result.state.done || result.state.failed;
        },
        all,
      );
      if (result.state.done || ("failed" in result.state && result.state.failed)) onDone(result);
      return result;
    }),
  );
  if (signal.aborted) throw signal.reason;
  const timedOut =
    deadline.aborted && results.some((r) => !r.state.done && !("failed" in r.state && r.state.failed));
  return { results, timedOut };
}
