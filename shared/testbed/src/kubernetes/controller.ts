import { isObject, type JsonObject } from "./apply.ts";
import {
  containersOf,
  eventBody,
  type PodState,
  podStatus,
  suffix,
  templateHash,
  timestamp,
} from "./pods.ts";
import { apiVersionOf } from "./resources.ts";
import { type Change, type Store, type StoredObject, view } from "./store.ts";
import { type RolloutFacts, workloadStatus } from "./workload-status.ts";

/**
 * The controllers of a one-node k3s, in fast motion: a workload's new generation is observed,
 * its pods are created and go through pulling and starting to ready (or to a failure the test
 * chose), its status follows the way the real controllers write it, events are recorded, the
 * containers have log lines. A deleted namespace is emptied and then removed; objects with
 * finalizers keep it in Terminating.
 */

export type RolloutBehaviour = "normal" | "image-pull" | "crash-loop" | "progress-deadline";

export interface WorkloadFacts {
  kind: string;
  namespace: string;
  name: string;
  images: string[];
}

export interface ControllerOptions {
  /** Time between the steps of a rollout (default 100 ms). */
  stepMs: number;
  /** Time a deleted namespace takes to empty (default 200 ms). */
  namespaceDeleteMs: number;
  behaviour: (workload: WorkloadFacts) => RolloutBehaviour;
  /** Log lines of a container; the default says what the chosen behaviour did. */
  logs?: (workload: WorkloadFacts, behaviour: RolloutBehaviour) => string[];
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

const asObj = (value: unknown): JsonObject => (isObject(value) ? value : {});

function defaultLogs(workload: WorkloadFacts, behaviour: RolloutBehaviour): string[] {
  if (behaviour === "crash-loop") {
    return [
      `starting ${workload.name}`,
      "connecting to mongodb://mongo:27017",
      "Error: connect ECONNREFUSED 10.43.0.12:27017",
      "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16)",
      "process exited with code 1",
    ];
  }
  return [`starting ${workload.name}`, "listening on :8080"];
}

export class Controller {
  readonly #store: Store;
  readonly #options: ControllerOptions;
  readonly #timers = new Map<string, NodeJS.Timeout[]>();
  readonly #unsubscribe: () => void;
  /** When each workload last became available/complete (ms, performance time origin based). */
  readonly availableAt = new Map<string, number>();
  /** Pod key → container → log lines. */
  readonly logs = new Map<string, Map<string, string[]>>();
  #stopped = false;
  /** Deleted namespaces whose contents were deleted, waiting for the last object to go. */
  readonly #emptying = new Set<string>();

  constructor(store: Store, options: ControllerOptions) {
    this.#store = store;
    this.#options = options;
    this.#unsubscribe = store.subscribe((change) => this.#onChange(change));
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    for (const timers of this.#timers.values()) for (const timer of timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #later(key: string, ms: number, action: () => void): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      if (!this.#stopped) action();
    }, ms);
    this.#timers.set(key, [...(this.#timers.get(key) ?? []), timer]);
  }

  #cancel(key: string): void {
    for (const timer of this.#timers.get(key) ?? []) clearTimeout(timer);
    this.#timers.delete(key);
  }

  #onChange(change: Change): void {
    const { object } = change;
    const kind = object.type.kind;
    if (change.type === "DELETED") {
      this.#cancel(object.uid);
      if (WORKLOADS.has(kind)) this.#deletePods(object, () => true);
      if (object.type.namespaced) this.#recheckNamespace(object.namespace);
      return;
    }
    if (kind === "Namespace" && object.deletionTimestamp && !this.#timers.has(object.uid)) {
      this.#later(object.uid, this.#options.namespaceDeleteMs, () => this.#emptyNamespace(object));
      return;
    }
    if (object.deletionTimestamp) return;
    if (WORKLOADS.has(kind)) {
      const observed = asObj(object.status).observedGeneration;
      if (observed !== object.generation && !this.#timers.has(`${object.uid}/${object.generation}`)) {
        this.#cancel(object.uid);
        this.#timers.set(`${object.uid}/${object.generation}`, []);
        this.#rollout(object);
      }
    }
  }

  // ── namespaces ───────────────────────────────────────────────────────────────────────────────

  #emptyNamespace(namespace: StoredObject): void {
    this.#emptying.add(namespace.name);
    for (const object of this.#store.all()) {
      if (!object.type.namespaced || object.namespace !== namespace.name || object.deletionTimestamp)
        continue;
      // Deleting a workload already took its pods with it.
      if (this.#store.get(object.type, object.namespace, object.name)?.uid === object.uid)
        this.#store.delete(object.type, object.namespace, object.name);
    }
    this.#recheckNamespace(namespace.name);
  }

  /** Removes an emptied namespace, or says in its status what keeps it (objects with finalizers). */
  #recheckNamespace(name: string): void {
    if (!this.#emptying.has(name)) return;
    const type = this.#store.types.byKind("v1", "Namespace");
    const namespace = type && this.#store.get(type, "", name);
    if (!namespace?.deletionTimestamp) return;
    const left = this.#store.all().filter((o) => o.type.namespaced && o.namespace === name);
    if (left.length === 0) {
      this.#emptying.delete(name);
      this.#cancel(namespace.uid);
      this.#store.remove(namespace);
      return;
    }
    const names = left.map((o) => `${o.type.plural}/${o.name}`).join(", ");
    this.#store.setStatus(namespace, {
      phase: "Terminating",
      conditions: [
        {
          type: "NamespaceFinalizersRemaining",
          status: "True",
          reason: "SomeFinalizersRemain",
          message: `Some content in the namespace has finalizers remaining: ${names}`,
          lastTransitionTime: timestamp(),
        },
      ],
    });
  }

  // ── workloads ────────────────────────────────────────────────────────────────────────────────

  #facts(object: StoredObject): WorkloadFacts {
    const shown = view(object);
    const template = asObj(asObj(shown.spec).template);
    return {
      kind: object.type.kind,
      namespace: object.namespace,
      name: object.name,
      images: containersOf(asObj(template.spec)).map((c) => c.image),
    };
  }

  #event(
    object: StoredObject,
    reason: string,
    message: string,
    type: "Normal" | "Warning",
    component: string,
  ): void {
    const eventType = this.#store.types.byKind("v1", "Event");
    if (!eventType) return;
    this.#store.createOwned(
      eventType,
      object.namespace,
      eventBody({
        kind: object.type.kind,
        apiVersion: apiVersionOf(object.type),
        namespace: object.namespace,
        name: object.name,
        uid: object.uid,
        reason,
        message,
        type,
        component,
      }),
    );
  }

  #podsOf(owner: StoredObject): StoredObject[] {
    const podType = this.#store.types.byKind("v1", "Pod");
    if (!podType) return [];
    return this.#store.list(podType, owner.namespace).filter((pod) => {
      const refs = asObj(view(pod).metadata).ownerReferences;
      return Array.isArray(refs) && refs.some((ref) => asObj(ref).uid === owner.uid);
    });
  }

  #deletePods(owner: StoredObject, which: (pod: StoredObject) => boolean): void {
    for (const pod of this.#podsOf(owner)) if (which(pod)) this.#store.remove(pod);
  }

  #createPods(owner: StoredObject, count: number, hash: string): StoredObject[] {
    const podType = this.#store.types.byKind("v1", "Pod");
    if (!podType) return [];
    const shown = view(owner);
    const template = asObj(asObj(shown.spec).template);
    const podSpec = asObj(template.spec);
    const labels = { ...asObj(asObj(template.metadata).labels), "pod-template-hash": hash };
    const pods: StoredObject[] = [];
    for (let index = 0; index < count; index++) {
      const name =
        owner.type.kind === "StatefulSet"
          ? `${owner.name}-${index}`
          : owner.type.kind === "Deployment"
            ? `${owner.name}-${hash}-${suffix(5)}`
            : `${owner.name}-${suffix(5)}`;
      const body: JsonObject = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name,
          namespace: owner.namespace,
          labels,
          ownerReferences: [
            {
              apiVersion: apiVersionOf(owner.type),
              kind: owner.type.kind,
              name: owner.name,
              uid: owner.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: { ...podSpec, nodeName: "k3s-server" },
      };
      const started = timestamp();
      const pod = this.#store.createOwned(
        podType,
        owner.namespace,
        body,
        podStatus("creating", containersOf(podSpec), started),
      );
      if (pod) pods.push(pod);
    }
    return pods;
  }

  #setPods(pods: StoredObject[], state: PodState): void {
    for (const pod of pods) {
      const containers = containersOf(asObj(view(pod).spec));
      this.#store.setStatus(
        pod,
        podStatus(state, containers, String(asObj(pod.status).startTime ?? timestamp())),
      );
    }
  }

  #rollout(owner: StoredObject): void {
    const facts = this.#facts(owner);
    const behaviour = this.#options.behaviour(facts);
    const spec = asObj(view(owner).spec);
    const desired =
      owner.type.kind === "DaemonSet" ? 1 : owner.type.kind === "Job" ? 1 : Number(spec.replicas ?? 1);
    const hash = templateHash(spec.template);
    const generation = owner.generation;
    const step = this.#options.stepMs;
    const key = owner.uid;
    const status = (ready: number, updated: number, total: number, extra: JsonObject = {}) =>
      this.#workloadStatus(owner, { generation, desired, ready, updated, total, hash, extra });
    const old = this.#podsOf(owner).filter(
      (pod) => asObj(asObj(view(pod).metadata).labels)["pod-template-hash"] !== hash,
    );
    const oldReady = old.filter((pod) => asObj(pod.status).phase === "Running").length;

    this.#later(key, step, () => {
      const pods = this.#createPods(owner, desired, hash);
      if (owner.type.kind === "Deployment")
        this.#event(
          owner,
          "ScalingReplicaSet",
          `Scaled up replica set ${owner.name}-${hash} from 0 to ${desired}`,
          "Normal",
          "deployment-controller",
        );
      for (const pod of pods)
        this.#event(
          pod,
          "Scheduled",
          `Successfully assigned ${pod.namespace}/${pod.name} to k3s-server`,
          "Normal",
          "default-scheduler",
        );
      status(oldReady, desired, desired + old.length, { progressing: "ReplicaSetUpdated" });

      this.#later(key, step, () => {
        const logLines = (this.#options.logs ?? defaultLogs)(facts, behaviour);
        // Only a container that started has logs; one waiting for its image has none.
        if (behaviour === "normal" || behaviour === "crash-loop")
          for (const pod of pods) {
            const containers = containersOf(asObj(view(pod).spec));
            this.logs.set(`${pod.namespace}/${pod.name}`, new Map(containers.map((c) => [c.name, logLines])));
          }
        if (behaviour === "normal") {
          this.#setPods(pods, owner.type.kind === "Job" ? "completed" : "running");
          for (const pod of pods) this.#event(pod, "Started", "Started container", "Normal", "kubelet");
          this.#deletePods(owner, (pod) => !pods.includes(pod));
          status(desired, desired, desired, { progressing: "NewReplicaSetAvailable", complete: true });
          this.availableAt.set(
            `${owner.type.kind}/${owner.namespace}/${owner.name}`,
            performance.timeOrigin + performance.now(),
          );
          return;
        }
        if (behaviour === "crash-loop") {
          this.#setPods(pods, "crash-loop");
          for (const pod of pods) {
            const name = containersOf(asObj(view(pod).spec))[0]?.name ?? "";
            this.#event(
              pod,
              "BackOff",
              `Back-off restarting failed container ${name} in pod ${pod.name}`,
              "Warning",
              "kubelet",
            );
          }
          status(oldReady, desired, desired + old.length, {
            progressing: "ReplicaSetUpdated",
            failed: owner.type.kind === "Job",
          });
          return;
        }
        this.#setPods(pods, "err-image-pull");
        for (const pod of pods)
          for (const image of facts.images)
            this.#event(pod, "Failed", `Failed to pull image "${image}": not found`, "Warning", "kubelet");
        this.#later(key, step, () => {
          this.#setPods(pods, "image-pull-backoff");
          for (const pod of pods)
            for (const image of facts.images)
              this.#event(pod, "BackOff", `Back-off pulling image "${image}"`, "Warning", "kubelet");
          if (behaviour === "progress-deadline") {
            status(oldReady, desired, desired + old.length, { progressing: "ProgressDeadlineExceeded" });
          }
        });
      });
    });
  }

  #workloadStatus(owner: StoredObject, facts: RolloutFacts): void {
    const current = this.#store.get(owner.type, owner.namespace, owner.name);
    if (!current || current.uid !== owner.uid || current.generation !== facts.generation) return;
    const status = workloadStatus(owner.type.kind, owner.name, facts, asObj(current.status));
    if (status) this.#store.setStatus(current, status);
  }
}
