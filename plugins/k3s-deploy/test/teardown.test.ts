import { createTlsCertificate } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, perTestCluster, runK3sDeploy, runK3sDeployIsolated, WEB } from "./helpers.ts";

const bed = perTestCluster(
  { stepMs: 20, namespaceDeleteMs: 100, namespaces: ["shared-team"] },
  {
    files: {
      "deploy/k8s/web.yaml": WEB.replace(
        "          envFrom:\n            - secretRef: { name: calchat-db }\n",
        "",
      ),
    },
  },
);
const { workspace } = bed;

const env = (extra: Record<string, string> = {}) =>
  droneEnv({ PLUGIN_KUBECONFIG: bed.k.kubeconfig(), PLUGIN_MANIFESTS: "deploy/k8s/", ...extra });

describe("k3s-deploy action: delete", () => {
  it("deletes the preview namespace and waits until it is gone", async () => {
    expect((await runK3sDeploy(env(), workspace.dir)).code).toBe(0);
    expect(bed.k.namespaces()).toContain("preview-feature-login");
    const run = await runK3sDeploy(env({ PLUGIN_ACTION: "delete" }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(bed.k.namespaces()).not.toContain("preview-feature-login");
    expect(run.output).toContain("namespace preview-feature-login deleted");
    const again = await runK3sDeploy(env({ PLUGIN_ACTION: "delete" }), workspace.dir);
    expect(again.code).toBe(0);
    expect(again.output).toContain("already gone");
  });

  it("refuses a namespace hangar did not create, unless force", async () => {
    const refused = await runK3sDeploy(
      env({ PLUGIN_ACTION: "delete", PLUGIN_NAMESPACE: "shared-team" }),
      workspace.dir,
    );
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("E_NAMESPACE_NOT_HANGARS");
    expect(bed.k.namespaces()).toContain("shared-team");
    const forced = await runK3sDeploy(
      env({ PLUGIN_ACTION: "delete", PLUGIN_NAMESPACE: "shared-team", PLUGIN_FORCE: "true" }),
      workspace.dir,
    );
    expect(forced.code, forced.output).toBe(0);
    expect(bed.k.namespaces()).not.toContain("shared-team");
  });

  it("names the objects that keep a namespace in Terminating", async () => {
    await bed.withFiles({
      "deploy/k8s/held.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\n",
    });
    expect((await runK3sDeploy(env(), workspace.dir)).code).toBe(0);
    const run = await runK3sDeploy(env({ PLUGIN_ACTION: "delete", PLUGIN_TIMEOUT: "1s" }), workspace.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("stuck in Terminating: ConfigMap/held (finalizers: example.com/hold)");
    expect(run.output).toContain("E_NAMESPACE_STUCK");
  });
});

describe("k3s-deploy TLS", () => {
  it("verifies the API server against the given CA, and fails with another CA", async () => {
    const other = await createTlsCertificate();
    try {
      const wrong = await runK3sDeployIsolated(
        env({ PLUGIN_KUBECONFIG: bed.k.kubeconfig({ caPem: other.caPem }) }),
        workspace.dir,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.output).toContain("E_KUBERNETES_TLS");
      expect(bed.k.requests().filter((r) => r.method === "PATCH")).toEqual([]);
      const right = await runK3sDeployIsolated(env(), workspace.dir);
      expect(right.code, right.output).toBe(0);
      expect(right.output).not.toContain(bed.k.token);
    } finally {
      await other.remove();
    }
  });
});
