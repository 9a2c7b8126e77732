import type { JsonObject } from "./apply.ts";
import { timestamp } from "./pods.ts";

/** The status each workload controller writes at a step of a rollout. */

export interface RolloutFacts {
  generation: number;
  desired: number;
  ready: number;
  updated: number;
  total: number;
  hash: string;
  extra: JsonObject;
}

export function workloadStatus(
  kind: string,
  name: string,
  s: RolloutFacts,
  previous: JsonObject,
): JsonObject | undefined {
  const time = timestamp();
  const { progressing, complete, failed } = s.extra;
  const unavailable = Math.max(0, s.total - s.ready);
  if (kind === "Deployment") {
    const deadline = progressing === "ProgressDeadlineExceeded";
    return {
      observedGeneration: s.generation,
      replicas: s.total,
      updatedReplicas: s.updated,
      readyReplicas: s.ready,
      availableReplicas: s.ready,
      ...(unavailable > 0 ? { unavailableReplicas: unavailable } : {}),
      conditions: [
        {
          type: "Available",
          status: s.ready >= s.desired ? "True" : "False",
          reason: s.ready >= s.desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          message:
            s.ready >= s.desired
              ? "Deployment has minimum availability."
              : "Deployment does not have minimum availability.",
          lastUpdateTime: time,
          lastTransitionTime: time,
        },
        {
          type: "Progressing",
          status: deadline ? "False" : "True",
          reason: String(progressing),
          message: deadline
            ? `ReplicaSet "${name}-${s.hash}" has timed out progressing.`
            : progressing === "NewReplicaSetAvailable"
              ? `ReplicaSet "${name}-${s.hash}" has successfully progressed.`
              : `ReplicaSet "${name}-${s.hash}" is progressing.`,
          lastUpdateTime: time,
          lastTransitionTime: time,
        },
      ],
    };
  } else if (kind === "StatefulSet") {
    const revision = `${name}-${s.hash}`;
    return {
      observedGeneration: s.generation,
      replicas: s.desired,
      readyReplicas: s.ready,
      availableReplicas: s.ready,
      currentReplicas: complete ? s.desired : 0,
      updatedReplicas: s.updated,
      currentRevision: complete ? revision : String(previous.currentRevision ?? revision),
      updateRevision: revision,
      collisionCount: 0,
    };
  } else if (kind === "DaemonSet") {
    return {
      observedGeneration: s.generation,
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      updatedNumberScheduled: s.updated,
      numberReady: s.ready,
      numberAvailable: s.ready,
      ...(unavailable > 0 ? { numberUnavailable: Math.min(1, unavailable) } : {}),
      numberMisscheduled: 0,
    };
  } else if (kind === "Job") {
    const conditions = complete
      ? [{ type: "Complete", status: "True", lastProbeTime: time, lastTransitionTime: time }]
      : failed
        ? [
            {
              type: "Failed",
              status: "True",
              reason: "BackoffLimitExceeded",
              message: "Job has reached the specified backoff limit",
              lastProbeTime: time,
              lastTransitionTime: time,
            },
          ]
        : undefined;
    return {
      startTime: String(previous.startTime ?? time),
      ...(complete ? { succeeded: 1, completionTime: time } : failed ? { failed: 1 } : { active: 1 }),
      ...(conditions ? { conditions } : {}),
    };
  }
  return undefined;
}
