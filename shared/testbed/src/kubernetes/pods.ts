import { createHash, randomBytes } from "node:crypto";
import type { JsonObject } from "./apply.ts";

/** Pod and Event bodies as the kubelet and the controllers write them. */

export type PodState =
  | "creating"
  | "running"
  | "err-image-pull"
  | "image-pull-backoff"
  | "crash-loop"
  | "completed";

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
export const suffix = (length: number) =>
  [...randomBytes(length)].map((byte) => ALPHABET[byte % ALPHABET.length]).join("");

/** A stable hash of a pod template, as `pod-template-hash` (10 characters). */
export function templateHash(template: unknown): string {
  const digest = createHash("sha256").update(JSON.stringify(template)).digest();
  return [...digest.subarray(0, 10)].map((byte) => ALPHABET[byte % ALPHABET.length]).join("");
}

export const timestamp = () =>
  new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");

interface Container {
  name: string;
  image: string;
}

export function containersOf(podSpec: JsonObject): Container[] {
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return containers.map((c) => {
    const container = c as JsonObject;
    return { name: String(container.name ?? ""), image: String(container.image ?? "") };
  });
}

/** The status a pod shows in each state of its life. */
export function podStatus(state: PodState, containers: Container[], started: string): JsonObject {
  const ready = state === "running";
  const phase =
    state === "completed"
      ? "Succeeded"
      : state === "running" || state === "crash-loop"
        ? "Running"
        : "Pending";
  const containerStatuses = containers.map((container) => containerStatus(state, container, started));
  return statusWith(phase, ready, started, containerStatuses);
}

function containerStatus(state: PodState, container: Container, started: string): JsonObject {
  const ready = state === "running";
  const base = { name: container.name, image: container.image, imageID: "", ready, started: ready };
  switch (state) {
    case "creating":
      return { ...base, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } };
    case "running":
      return {
        ...base,
        imageID: `docker.io/library/${container.image}@sha256:${"0".repeat(64)}`,
        restartCount: 0,
        state: { running: { startedAt: started } },
      };
    case "err-image-pull":
      return {
        ...base,
        restartCount: 0,
        state: {
          waiting: {
            reason: "ErrImagePull",
            message: `failed to pull and unpack image "${container.image}": not found`,
          },
        },
      };
    case "image-pull-backoff":
      return {
        ...base,
        restartCount: 0,
        state: {
          waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${container.image}"` },
        },
      };
    case "crash-loop":
      return {
        ...base,
        restartCount: 3,
        state: {
          waiting: {
            reason: "CrashLoopBackOff",
            message: `back-off 40s restarting failed container=${container.name}`,
          },
        },
        lastState: {
          terminated: { exitCode: 1, reason: "Error", startedAt: started, finishedAt: timestamp() },
        },
      };
    case "completed":
      return {
        ...base,
        restartCount: 0,
        state: {
          terminated: { exitCode: 0, reason: "Completed", startedAt: started, finishedAt: timestamp() },
        },
      };
  }
}

function statusWith(
  phase: string,
  ready: boolean,
  started: string,
  containerStatuses: JsonObject[],
): JsonObject {
  return {
    phase,
    conditions: [
      { type: "PodScheduled", status: "True", lastTransitionTime: started },
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: timestamp() },
    ],
    hostIP: "10.0.0.2",
    ...(phase === "Pending" ? {} : { podIP: `10.42.0.${1 + ((randomBytes(1)[0] ?? 0) % 250)}` }),
    startTime: started,
    containerStatuses,
  };
}

export interface EventFacts {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  component: string;
}

export function eventBody(facts: EventFacts): JsonObject {
  const time = timestamp();
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${facts.name}.${randomBytes(8).toString("hex")}`, namespace: facts.namespace },
    involvedObject: {
      kind: facts.kind,
      apiVersion: facts.apiVersion,
      namespace: facts.namespace,
      name: facts.name,
      uid: facts.uid,
    },
    reason: facts.reason,
    message: facts.message,
    type: facts.type,
    source: { component: facts.component },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    reportingComponent: facts.component,
    reportingInstance: "",
  };
}
