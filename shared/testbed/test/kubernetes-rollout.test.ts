// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON answers; each assertion checks the shape it reads
import { afterEach, describe, expect, it } from "vitest";
import { createTlsCertificate } from "../src/certificate.ts";
import type { RolloutBehaviour } from "../src/kubernetes/controller.ts";
import type { KubernetesStandIn } from "../src/kubernetes/options.ts";
import { startKubernetesStandIn } from "../src/kubernetes/server.ts";
import { waitUntil } from "../src/wait.ts";

let k: KubernetesStandIn | undefined;
afterEach(async () => {
  expect(k?.schemaProblems()).toEqual([]);
  await k?.stop();
  k = undefined;
});

async function start(rollout: RolloutBehaviour = "normal") {
  k = await startKubernetesStandIn({ stepMs: 20, rollout: () => rollout });
  return k;
}

async function applyAll(stand: KubernetesStandIn, namespace: string, kind = "Deployment") {
  const put = (path: string, body: unknown) =>
    fetch(`${stand.url}${path}?fieldManager=test&force=true`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${stand.token}`, "Content-Type": "application/apply-patch+yaml" },
      body: JSON.stringify(body),
    });
  await put(`/api/v1/namespaces/${namespace}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace },
  });
  const template = {
    metadata: { labels: { app: "web" } },
    spec: {
      containers: [{ name: "app", image: "web:1" }],
      restartPolicy: kind === "Job" ? "Never" : "Always",
    },
  };
  const plural = {
    Deployment: "deployments",
    StatefulSet: "statefulsets",
    DaemonSet: "daemonsets",
    Job: "jobs",
  }[kind];
  const group = kind === "Job" ? "batch" : "apps";
  const spec =
    kind === "Job"
      ? { template }
      : {
          selector: { matchLabels: { app: "web" } },
          template,
          ...(kind === "StatefulSet" ? { serviceName: "web" } : {}),
        };
  const response = await put(`/apis/${group}/v1/namespaces/${namespace}/${plural}/web`, {
    apiVersion: `${group}/v1`,
    kind,
    metadata: { name: "web" },
    spec,
  });
  expect(response.status, await response.text()).toBe(201);
}

const status = (stand: KubernetesStandIn, kind: string, apiVersion = "apps/v1") =>
  (stand.get(apiVersion, kind, "ns", "web")?.status ?? {}) as Record<string, any>;

/** The stand-in with "web" applied in "ns" (a Deployment unless `kind` says otherwise), once `done` holds. */
async function appliedUntil(
  what: string,
  done: (stand: KubernetesStandIn) => boolean,
  options: { rollout?: RolloutBehaviour; kind?: string } = {},
) {
  const stand = await start(options.rollout);
  await applyAll(stand, "ns", options.kind);
  await waitUntil(what, () => done(stand), { timeoutMs: 5000 });
  return stand;
}

const available = (stand: KubernetesStandIn) => status(stand, "Deployment").availableReplicas === 1;

/** A Deployment whose rollout goes `rollout`'s way, once its pod has been backed off. */
async function backedOff(rollout: RolloutBehaviour) {
  const backOff = (stand: KubernetesStandIn) => stand.events("ns").some((e) => e.reason === "BackOff");
  const stand = await appliedUntil("BackOff", backOff, { rollout });
  return { stand, pod: stand.list("v1", "Pod", "ns")[0] as Record<string, any> };
}

/** A pod's log as kubectl logs asks for it. */
const podLog = (stand: KubernetesStandIn, pod: string, query = "") =>
  fetch(`${stand.url}/api/v1/namespaces/ns/pods/${pod}/log${query}`, {
    headers: { Authorization: `Bearer ${stand.token}` },
  });

describe("Kubernetes stand-in: rollouts", () => {
  it("rolls a Deployment out: observed generation, updated and available replicas, a running pod with logs", async () => {
    const stand = await appliedUntil("available", available);
    expect(status(stand, "Deployment")).toMatchObject({
      observedGeneration: 1,
      updatedReplicas: 1,
      replicas: 1,
      conditions: [
        { type: "Available", status: "True" },
        { type: "Progressing", reason: "NewReplicaSetAvailable" },
      ],
    });
    const pods = stand.list("v1", "Pod", "ns");
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status).toMatchObject({ phase: "Running" });
    const name = (pods[0]?.metadata as { name?: string } | undefined)?.name;
    const log = await podLog(stand, String(name), "?tailLines=1");
    expect(await log.text()).toBe("listening on :8080\n");
    expect(stand.availableAt("Deployment", "ns", "web")).toBeGreaterThan(0);
  });

  it("keeps pods in ImagePullBackOff with warning events for an image that never pulls", async () => {
    const { stand, pod } = await backedOff("image-pull");
    expect(pod.status.containerStatuses[0].state.waiting.reason).toBe("ImagePullBackOff");
    expect(status(stand, "Deployment")).toMatchObject({ updatedReplicas: 1, unavailableReplicas: 1 });
    const log = await podLog(stand, pod.metadata.name);
    expect(log.status).toBe(400);
  });

  it("crash-loops with restarts and the failing container's log", async () => {
    const { pod } = await backedOff("crash-loop");
    expect(pod.status.containerStatuses[0]).toMatchObject({
      restartCount: 3,
      state: { waiting: { reason: "CrashLoopBackOff" } },
    });
  });

  it("marks a Deployment ProgressDeadlineExceeded", async () => {
    const stand = await appliedUntil(
      "deadline",
      (at) => status(at, "Deployment").conditions?.[1]?.reason === "ProgressDeadlineExceeded",
      { rollout: "progress-deadline" },
    );
    expect(status(stand, "Deployment").conditions[1].status).toBe("False");
  });

  it.each([
    [
      "StatefulSet",
      "apps/v1",
      (s: Record<string, any>) => s.readyReplicas === 1 && s.currentRevision === s.updateRevision,
    ],
    ["DaemonSet", "apps/v1", (s: Record<string, any>) => s.numberAvailable === 1],
    ["Job", "batch/v1", (s: Record<string, any>) => s.succeeded === 1],
  ])("rolls a %s out", async (kind, apiVersion, done) => {
    await appliedUntil(kind, (stand) => done(status(stand, kind, apiVersion)), { kind });
  });
});

describe("Kubernetes stand-in: HTTPS", () => {
  it("serves over TLS with the test bed's certificate, and its kubeconfig carries the CA", async () => {
    const certificate = await createTlsCertificate();
    try {
      k = await startKubernetesStandIn({ tls: certificate });
      expect(k.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(k.kubeconfig()).toContain(Buffer.from(certificate.caPem).toString("base64"));
      await expect(fetch(`${k.url}/version`)).rejects.toThrow();
    } finally {
      await certificate.remove();
    }
  });
});

describe("Kubernetes stand-in: namespace deletion with workloads", () => {
  it("empties a namespace whose Deployment owns pods, and removes it", async () => {
    const stand = await appliedUntil("available", available);
    await fetch(`${stand.url}/api/v1/namespaces/ns`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${stand.token}` },
    });
    await waitUntil("namespace gone", () => !stand.namespaces().includes("ns"), { timeoutMs: 5000 });
    expect(stand.list("v1", "Pod", "ns")).toEqual([]);
  });
});
