import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { runK3sDeploy } from "./helpers.ts";

// Opt-in: against a real cluster when KUBECONFIG names a kubeconfig file (K3S_LIVE_CONTEXT picks a
// context). It deploys a small nginx into a fresh namespace, re-deploys, and deletes the namespace.
const kubeconfigPath = process.env.KUBECONFIG;

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  selector:
    matchLabels: { app: hello }
  template:
    metadata:
      labels: { app: hello }
    spec:
      containers:
        - name: web
          image: nginx:alpine
`;

describe.skipIf(!kubeconfigPath)("k3s-deploy against a real cluster (KUBECONFIG)", () => {
  it("deploys, converges and tears down", { timeout: 600_000 }, async () => {
    const { readFile } = await import("node:fs/promises");
    const kubeconfig = await readFile(kubeconfigPath ?? "", "utf8");
    const workspace = await tempWorkspace("k3s-deploy", { files: { "k8s/hello.yaml": MANIFEST } });
    const env = {
      CI: "true",
      DRONE: "true",
      DRONE_REPO: "hangar/live",
      DRONE_BRANCH: `live-${Date.now()}`,
      DRONE_BUILD_EVENT: "push",
      PLUGIN_KUBECONFIG: kubeconfig,
      ...(process.env.K3S_LIVE_CONTEXT ? { PLUGIN_CONTEXT: process.env.K3S_LIVE_CONTEXT } : {}),
      PLUGIN_NAMESPACE: "hangar-{{ branch }}",
      PLUGIN_MANIFESTS: "k8s/",
      PLUGIN_TIMEOUT: "5m",
    };
    try {
      for (const attempt of [1, 2]) {
        const run = await runK3sDeploy(env, workspace.dir);
        expect(run.code, `run ${attempt}: ${run.output}`).toBe(0);
      }
    } finally {
      const teardown = await runK3sDeploy({ ...env, PLUGIN_ACTION: "delete" }, workspace.dir);
      await workspace.remove();
      expect(teardown.code, teardown.output).toBe(0);
    }
  });
});
