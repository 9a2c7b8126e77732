// biome-ignore-all lint/suspicious/noExplicitAny: the tests read stored objects; each assertion checks the shape it reads
import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, perTestCluster, runK3sDeploy, WEB } from "./helpers.ts";

const bed = perTestCluster({ stepMs: 20 });
const { workspace } = bed;

const NS = "preview-feature-login";
const settings = (extra: Record<string, string> = {}) =>
  droneEnv({ PLUGIN_KUBECONFIG: bed.k.kubeconfig(), PLUGIN_MANIFESTS: "deploy/k8s/", ...extra });

const ANNOTATED = `apiVersion: v1
kind: ConfigMap
metadata:
  name: release
  annotations:
    kubernetes.io/change-cause: "{{ commit.message }}"
data:
  owner: {{ repo.owner }}
  sha: "{{ commit.sha | short }}"
`;

const INJECTION = `fix login"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: pwned
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: default, namespace: ${NS} }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: "x`;

describe("k3s-deploy manifests: placeholders, scope, files", () => {
  it("renders a hostile commit message as one string and applies nothing extra", async () => {
    await bed.withFiles({ "deploy/k8s/release.yaml": ANNOTATED });
    const run = await runK3sDeploy(settings({ DRONE_COMMIT_MESSAGE: INJECTION }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const config = bed.k.get("v1", "ConfigMap", NS, "release") as any;
    expect(config.metadata.annotations["kubernetes.io/change-cause"]).toBe(INJECTION);
    expect(config.data).toEqual({ owner: "acme", sha: "3f2c1a0b" });
    // Nothing but the namespace and the ConfigMap was written: no binding, no second workload.
    const writes = bed.k.requests().filter((r) => r.method !== "GET");
    expect(writes.map((r) => r.path)).toEqual([
      `/api/v1/namespaces/${NS}`,
      `/api/v1/namespaces/${NS}/configmaps/release`,
    ]);
    expect(bed.k.list("apps/v1", "Deployment")).toEqual([]);
  });

  it("refuses a cluster-scoped object before any API call, unless allow_cluster_scoped", async () => {
    await bed.withFiles({
      "deploy/k8s/web.yaml": WEB,
      "deploy/k8s/rbac.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: web-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: default, namespace: ${NS} }]
`,
    });
    const run = await runK3sDeploy(settings(), workspace.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("deploy/k8s/rbac.yaml#1: ClusterRoleBinding/web-admin is cluster-scoped");
    expect(run.stderr).toContain("allow_cluster_scoped");
    expect(bed.k.requests()).toEqual([]);
    // Allowed, it passes the settings check (the stand-in serves no RBAC: the API refuses it).
    const allowed = await runK3sDeploy(settings({ PLUGIN_ALLOW_CLUSTER_SCOPED: "true" }), workspace.dir);
    expect(allowed.stderr).not.toContain("is cluster-scoped");
    expect(allowed.output).toContain("the cluster serves no ClusterRoleBinding");
    expect(bed.k.requests().filter((r) => r.method === "PATCH")).toEqual([]);
  });

  it("reports a YAML alias bomb and deeply nested secrets as settings errors, not as a crash", async () => {
    const bomb = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: { name: bomb }",
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
      "",
    ].join("\n");
    await bed.withFiles({ "deploy/k8s/bomb.yaml": bomb });
    const run = await runK3sDeploy(
      settings({ PLUGIN_SECRETS: `{"db": ${"[".repeat(20_000)}${"]".repeat(20_000)}}` }),
      workspace.dir,
    );
    expect(run.code).toBe(2);
    expect(run.output).not.toContain("unexpected error");
    expect(run.stderr).toContain("deploy/k8s/bomb.yaml#1");
    expect(run.stderr).toContain('the value of "db" must be a list of variable names');
    expect(bed.k.requests()).toEqual([]);
  });

  it("refuses manifests that lead out of the workspace through a symlink (file and directory)", async () => {
    await bed.withFiles({ "deploy/k8s/web.yaml": WEB, "outside/secret.yaml": "kind: x" });
    const outside = await tempWorkspace("k3s-deploy-outside", {
      files: {
        "leak.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: leak }\n",
      },
    });
    try {
      await symlink(path.join(outside.dir, "leak.yaml"), path.join(workspace.dir, "deploy/k8s/leak.yaml"));
      await symlink(outside.dir, path.join(workspace.dir, "linked"));
      for (const manifests of ["deploy/k8s/", "deploy/k8s/leak.yaml", "linked"]) {
        const run = await runK3sDeploy(settings({ PLUGIN_MANIFESTS: manifests }), workspace.dir);
        expect(run.code, manifests).toBe(2);
        expect(run.stderr).toContain("leads outside the workspace");
        expect(run.stderr).toContain("E_MANIFEST");
      }
      expect(bed.k.requests()).toEqual([]);
    } finally {
      await outside.remove();
    }
  });

  it("refuses a ca_cert and a kubeconfig file reference that lead out of the workspace", async () => {
    await bed.withFiles({ "deploy/k8s/web.yaml": WEB });
    const outside = await tempWorkspace("k3s-deploy-outside", {
      files: { "ca.pem": bed.certificate.caPem, token: "stolen" },
    });
    try {
      await symlink(path.join(outside.dir, "ca.pem"), path.join(workspace.dir, "ca.pem"));
      const ca = await runK3sDeploy(
        settings({
          PLUGIN_KUBECONFIG: "",
          PLUGIN_SERVER: bed.k.url,
          PLUGIN_TOKEN: bed.k.token,
          PLUGIN_CA_CERT: "ca.pem",
        }),
        workspace.dir,
      );
      expect(ca.code).toBe(2);
      expect(ca.stderr).toContain("ca_cert: ca_cert: ca.pem leads outside the workspace");
      const kubeconfig = bed.k
        .kubeconfig()
        .replace(/token: .*/, `tokenFile: ${path.join(outside.dir, "token")}`);
      const file = await runK3sDeploy(settings({ PLUGIN_KUBECONFIG: kubeconfig }), workspace.dir);
      expect(file.code).toBe(2);
      expect(file.stderr).toContain("is outside the workspace");
      expect(bed.k.requests()).toEqual([]);
      // Inside the workspace, a kubeconfig's tokenFile is read and used.
      await writeFile(path.join(workspace.dir, "token"), bed.k.token);
      const inside = await runK3sDeploy(
        settings({ PLUGIN_KUBECONFIG: bed.k.kubeconfig().replace(/token: .*/, "tokenFile: token") }),
        workspace.dir,
      );
      expect(inside.code, inside.output).toBe(0);
      expect(inside.output).not.toContain(bed.k.token);
    } finally {
      await outside.remove();
    }
  });

  it("caps the manifests' size with a clear error, and parses 4 MB well within it quickly", async () => {
    const big = (mb: number) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\ndata:\n${Array.from(
        { length: mb * 16 },
        (_, i) => `  key${i}: "${"x".repeat(64 * 1024 - 20)}"\n`,
      ).join("")}`;
    const many = Array.from(
      { length: 8000 },
      (_, i) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i} }\ndata: { a: "${"y".repeat(400)}" }\n`,
    ).join("---\n");
    await bed.withFiles({ "deploy/k8s/big.yaml": big(9) });
    const over = await runK3sDeploy(settings({ PLUGIN_DRY_RUN: "client" }), workspace.dir);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(
      /the manifests add up to more than 8(\.0)? MiB \(the limit\) at deploy\/k8s\/big.yaml/,
    );
    await bed.withFiles({ "deploy/k8s/many.yaml": many });
    expect(many.length).toBeGreaterThan(3.5 * 1024 * 1024);
    const started = Date.now();
    const within = await runK3sDeploy(settings({ PLUGIN_DRY_RUN: "client" }), workspace.dir);
    expect(within.code, within.output.slice(-500)).toBe(0);
    expect(within.output).toContain("object:   ConfigMap/c7999");
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
