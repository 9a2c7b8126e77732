import type { JsonObject } from "./apply.ts";
import type { RolloutBehaviour, WorkloadFacts } from "./controller.ts";

export interface KubernetesStandInOptions {
  /** The bearer token clients must send (default: random). */
  token?: string;
  /** Serve HTTPS with this certificate (from createTlsCertificate). */
  tls?: { certPem: string; keyPem: string; caPem: string };
  /** How each workload's rollout goes (default: every one rolls out normally). */
  rollout?: (workload: WorkloadFacts) => RolloutBehaviour;
  /** Log lines of a workload's containers. */
  logs?: (workload: WorkloadFacts, behaviour: RolloutBehaviour) => string[];
  /** Time between the steps of a rollout (default 100 ms). */
  stepMs?: number;
  /** Time a deleted namespace takes to empty (default 200 ms). */
  namespaceDeleteMs?: number;
  /** Namespaces that exist from the start (never created by a client, so not labelled as hangar's). */
  namespaces?: string[];
  /** Server version, as /version tells it. */
  gitVersion?: string;
}

export interface KubernetesRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  search: string;
  contentType: string | undefined;
  /** The Authorization header was right. */
  authenticated: boolean;
  watch: boolean;
  status: number;
  injected: boolean;
  ms: number;
}

export interface KubernetesFailure {
  method?: string;
  /** Exact path, or a RegExp tested against it. */
  path?: string | RegExp;
  status: 400 | 403 | 409 | 422 | 429 | 500 | 503;
  count?: number;
  /**
   * Put the request's body into the failure's message, as an admission webhook that rejects an
   * object and quotes it does: the test of whether a client keeps secrets out of its errors.
   */
  echoBody?: boolean;
}

export interface KubernetesStandIn {
  /** `https://127.0.0.1:PORT` or `http://…`. */
  url: string;
  token: string;
  caPem: string | undefined;
  /** A kubeconfig (YAML) for this server: cluster, user with the token, context `standin`. */
  kubeconfig(options?: { namespace?: string; token?: string; caPem?: string }): string;
  /** The object as a GET shows it, or undefined. */
  get(apiVersion: string, kind: string, namespace: string, name: string): JsonObject | undefined;
  /** Every object of a kind (in a namespace). */
  list(apiVersion: string, kind: string, namespace?: string): JsonObject[];
  namespaces(): string[];
  /** Events recorded in a namespace, oldest first. */
  events(namespace: string): JsonObject[];
  /** When the workload last became available or complete (performance time, ms since the epoch). */
  availableAt(kind: string, namespace: string, name: string): number | undefined;
  setRollout(behaviour: (workload: WorkloadFacts) => RolloutBehaviour): void;
  /** Removes every finalizer of the objects in a namespace, letting a stuck deletion finish. */
  releaseFinalizers(namespace: string): void;
  requests(): KubernetesRequest[];
  failNext(failure: KubernetesFailure): void;
  clearFaults(): void;
  /** Objects the stand-in itself produced that its schemas reject, and internal errors: expect []. */
  schemaProblems(): string[];
  stop(): Promise<void>;
}
