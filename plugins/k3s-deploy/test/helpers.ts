import path from "node:path";
import { type CapturedRun, runCaptured, runCapturedProcess } from "@hangar/kit";
import {
  droneEnv as buildEnv,
  createTlsCertificate,
  type KubernetesStandIn,
  type KubernetesStandInOptions,
  perTest,
  startKubernetesStandIn,
  type TlsCertificate,
  type WorkspaceOptions,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { k3sDeploy } from "../src/plugin.ts";

export const MONGO_PASSWORD = "mongo-pw-9f8e7d6c5b4a";

/** A Drone push build of acme/calchat on a feature branch. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return buildEnv(
    { repo: "acme/calchat", build: 7, sha: "3f2c1a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b" },
    // DRONE_BRANCH alone, so that a test's DRONE_BRANCH is the build's branch.
    { DRONE_BRANCH: "feature/login", PLUGIN_NAMESPACE: "preview-{{ branch }}", ...overrides },
  );
}

/** A kubeconfig for a cluster at https://k3s.lan:6443 (never reached: for dry runs), with `token`. */
export const labKubeconfig = (token: string) => `apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster: { server: "https://k3s.lan:6443" }
users:
  - name: ci
    user: { token: "${token}" }
contexts:
  - name: lab
    context: { cluster: lab, user: ci }
current-context: lab
`;

export type Run = CapturedRun;

export const runK3sDeploy = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(k3sDeploy, env, workspace);

/** The plugin as its own process, as in a real step: for the process-wide TLS trust. */
export const runK3sDeployIsolated = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCapturedProcess(path.resolve(import.meta.dirname, "../src/index.ts"), env, workspace);

export const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: calchat-server
spec:
  replicas: 2
  selector:
    matchLabels: { app: calchat-server }
  template:
    metadata:
      labels: { app: calchat-server }
    spec:
      containers:
        - name: server
          image: calchat-server:latest
          envFrom:
            - secretRef: { name: calchat-db }
---
apiVersion: v1
kind: Service
metadata:
  name: calchat-server
spec:
  selector: { app: calchat-server }
  ports:
    - port: 80
      targetPort: 8080
`;

export const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: calchat-config
data:
  BRANCH: "{{ branch }}"
  PUBLIC_URL: "https://{{ namespace }}.preview.example.com"
`;

/**
 * The Kubernetes stand-in (over TLS, one certificate for the file) and a workspace for each
 * test; after it, what was sent must have followed the API's schema.
 */
export function perTestCluster(standIn: Omit<KubernetesStandInOptions, "tls">, workspace?: WorkspaceOptions) {
  let certificate: TlsCertificate;
  let cluster: KubernetesStandIn;
  beforeAll(async () => {
    certificate = await createTlsCertificate();
  });
  afterAll(() => certificate.remove());
  const bed = perTest({
    purpose: "k3s-deploy",
    workspace,
    check: (k: KubernetesStandIn) => expect(k.schemaProblems()).toEqual([]),
    hooks: { beforeEach, afterEach },
    start: () => startKubernetesStandIn({ ...standIn, tls: certificate }),
  });
  beforeEach(async () => {
    cluster = await bed.start();
  });
  return {
    get k() {
      return cluster;
    },
    get certificate() {
      return certificate;
    },
    workspace: bed.workspace,
    /** Replaces the test's workspace with one holding only `files`. */
    withFiles: (only: Record<string, string>) => bed.newWorkspace({ files: only }),
  };
}
