// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON answers; each assertion checks the shape it reads
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readStepOutputs } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { CONFIG, droneEnv, MONGO_PASSWORD, perTestCluster, runK3sDeploy, WEB } from "./helpers.ts";

const bed = perTestCluster(
  { stepMs: 30 },
  { files: { "deploy/k8s/web.yaml": WEB, "deploy/k8s/config.yaml": CONFIG } },
);
const { workspace } = bed;

const settings = (extra: Record<string, string> = {}) =>
  droneEnv({
    PLUGIN_KUBECONFIG: bed.k.kubeconfig(),
    PLUGIN_MANIFESTS: "deploy/k8s/",
    PLUGIN_IMAGES: "calchat-server=git.example.com/calchat/server:3f2c1a0b",
    PLUGIN_SECRETS: JSON.stringify({ "calchat-db": ["MONGO_PASSWORD"] }),
    PLUGIN_URL: "https://{{ namespace }}.preview.example.com",
    MONGO_PASSWORD,
    DRONE_CARD_PATH: path.join(workspace.dir, "card.json"),
    ...extra,
  });

describe("k3s-deploy against the Kubernetes stand-in", () => {
  it("deploys a feature branch to preview-feature-login: namespace, Secret, image override, rollout", async () => {
    const run = await runK3sDeploy(settings(), workspace.dir);
    expect(run.code, run.output).toBe(0);
    const ns = "preview-feature-login";
    expect(bed.k.get("v1", "Namespace", "", ns)?.metadata).toMatchObject({
      labels: { "app.kubernetes.io/managed-by": "hangar", "hangar.dev/branch": "feature-login" },
    });
    const deployment = bed.k.get("apps/v1", "Deployment", ns, "calchat-server") as any;
    expect(deployment.spec.template.spec.containers[0].image).toBe("git.example.com/calchat/server:3f2c1a0b");
    expect(deployment.metadata.labels).toMatchObject({
      "hangar.dev/repo": "acme-calchat",
      "hangar.dev/commit": "3f2c1a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    });
    expect(deployment.metadata.managedFields[0]).toMatchObject({ manager: "hangar", operation: "Apply" });
    expect(deployment.status.availableReplicas).toBe(2);
    const secret = bed.k.get("v1", "Secret", ns, "calchat-db") as any;
    expect(Buffer.from(secret.data.MONGO_PASSWORD, "base64").toString()).toBe(MONGO_PASSWORD);
    expect((bed.k.get("v1", "ConfigMap", ns, "calchat-config") as any).data).toEqual({
      BRANCH: "feature/login",
      PUBLIC_URL: `https://${ns}.preview.example.com`,
    });
    // Every apply is server-side apply, forced, with the field manager; the namespace first.
    const patches = bed.k.requests().filter((r) => r.method === "PATCH");
    expect(patches.every((r) => r.contentType === "application/apply-patch+yaml")).toBe(true);
    expect(patches.every((r) => /fieldManager=hangar/.test(r.search) && /force=true/.test(r.search))).toBe(
      true,
    );
    expect(patches.map((r) => r.path.split("/").at(-2))).toEqual([
      "namespaces",
      "configmaps",
      "secrets",
      "services",
      "deployments",
    ]);
    // Waited with a watch, not by polling the object.
    expect(bed.k.requests().some((r) => r.watch && r.path.endsWith("/deployments"))).toBe(true);

    const outputs = await readStepOutputs(workspace.dir);
    expect(outputs).toMatchObject({
      K3S_DEPLOY_NAMESPACE: ns,
      K3S_DEPLOY_URL: `https://${ns}.preview.example.com`,
    });
    expect(outputs.K3S_DEPLOY_OBJECTS).toContain("Deployment/calchat-server");
    const card = await readFile(path.join(workspace.dir, "card.json"), "utf8");
    expect(JSON.parse(card).data.facts).toContainEqual({
      name: "Deployment/calchat-server",
      value: "rolled out",
    });
    for (const text of [run.output, card, JSON.stringify(outputs)]) {
      expect(text).not.toContain(MONGO_PASSWORD);
      expect(text).not.toContain(Buffer.from(MONGO_PASSWORD).toString("base64"));
      expect(text).not.toContain(bed.k.token);
    }
  });

  it("converges on a second run: nothing changes, the same objects", async () => {
    expect((await runK3sDeploy(settings(), workspace.dir)).code).toBe(0);
    const before = bed.k.get("apps/v1", "Deployment", "preview-feature-login", "calchat-server")
      ?.metadata as any;
    const again = await runK3sDeploy(settings(), workspace.dir);
    expect(again.code, again.output).toBe(0);
    const after = bed.k.get("apps/v1", "Deployment", "preview-feature-login", "calchat-server")
      ?.metadata as any;
    expect(after.resourceVersion).toBe(before.resourceVersion);
    expect(after.generation).toBe(1);
    expect(bed.k.list("v1", "Secret", "preview-feature-login")).toHaveLength(1);
  });

  it("prunes an object dropped from the manifests, and only that", async () => {
    expect((await runK3sDeploy(settings(), workspace.dir)).code).toBe(0);
    await bed.withFiles({ "deploy/k8s/web.yaml": WEB });
    const run = await runK3sDeploy(settings(), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("pruned ConfigMap/calchat-config");
    expect(bed.k.get("v1", "ConfigMap", "preview-feature-login", "calchat-config")).toBeUndefined();
    expect(bed.k.get("v1", "Secret", "preview-feature-login", "calchat-db")).toBeDefined();
    expect(bed.k.get("v1", "Service", "preview-feature-login", "calchat-server")).toBeDefined();
  });

  it.each([
    ["image-pull", "ImagePullBackOff", 'Back-off pulling image "git.example.com/calchat/server:3f2c1a0b"'],
    ["crash-loop", "CrashLoopBackOff", "Error: connect ECONNREFUSED"],
  ] as const)(
    "fails a rollout stuck in %s with the reason, events and logs",
    async (behaviour, reason, detail) => {
      bed.k.setRollout(() => behaviour);
      const run = await runK3sDeploy(settings({ PLUGIN_TIMEOUT: "2s" }), workspace.dir);
      expect(run.code).toBe(1);
      expect(run.output).toContain(reason);
      expect(run.output).toContain(detail);
      expect(run.output).toMatch(/pod calchat-server-\w+-\w+: (Pending|Running)/);
      const card = JSON.parse(await readFile(path.join(workspace.dir, "card.json"), "utf8"));
      expect(card.data.status).toBe("failure");
    },
  );

  it("fails at once on ProgressDeadlineExceeded, long before the timeout", async () => {
    bed.k.setRollout(() => "progress-deadline");
    const started = Date.now();
    const run = await runK3sDeploy(settings({ PLUGIN_TIMEOUT: "60s" }), workspace.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("exceeded its progress deadline");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("shortens a long branch's namespace to a valid DNS label with a stable hash", async () => {
    const branch = "feature/a-very-long-branch-name-that-goes-on-and-on-about-the-login-page";
    const first = await runK3sDeploy(settings({ DRONE_BRANCH: branch }), workspace.dir);
    expect(first.code, first.output).toBe(0);
    const names = bed.k.namespaces().filter((name) => name.startsWith("preview-"));
    expect(names).toHaveLength(1);
    const [name = ""] = names;
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^preview-feature-a-very-long-[a-z0-9-]*-[0-9a-f]{6}$/);
    expect((await runK3sDeploy(settings({ DRONE_BRANCH: branch }), workspace.dir)).code).toBe(0);
    expect(bed.k.namespaces().filter((each) => each.startsWith("preview-"))).toEqual([name]);
  });

  it("fails before any API call on bad settings, naming every problem", async () => {
    const run = await runK3sDeploy(
      settings({
        PLUGIN_MANIFESTS: "deploy/missing/",
        PLUGIN_IMAGES: "no-equals-sign",
        PLUGIN_SECRETS: JSON.stringify({ db: ["NOT_SET"] }),
      }),
      workspace.dir,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("deploy/missing/");
    expect(run.stderr).toContain("name=image:tag");
    expect(run.stderr).toContain("NOT_SET");
    expect(bed.k.requests()).toEqual([]);
  });

  it("keeps a Secret out of the log when the API answers with the Secret in its error", async () => {
    bed.k.failNext({ method: "PATCH", path: /\/secrets\//, status: 422, echoBody: true });
    const run = await runK3sDeploy(settings(), workspace.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("applying Secret/calchat-db failed: HTTP 422");
    expect(run.output).not.toContain(MONGO_PASSWORD);
    expect(run.output).not.toContain(Buffer.from(MONGO_PASSWORD).toString("base64"));
  });

  it("dry_run client prints the plan without Secret values and calls nothing; server stores nothing", async () => {
    const client = await runK3sDeploy(settings({ PLUGIN_DRY_RUN: "client" }), workspace.dir);
    expect(client.code, client.output).toBe(0);
    expect(client.output).toContain("object:   Deployment/calchat-server");
    expect(client.output).toContain("Secret/calchat-db (keys: MONGO_PASSWORD)");
    expect(client.output).not.toContain(MONGO_PASSWORD);
    expect(bed.k.requests()).toEqual([]);
    const fresh = await runK3sDeploy(settings({ PLUGIN_DRY_RUN: "server" }), workspace.dir);
    expect(fresh.code, fresh.output).toBe(0);
    expect(fresh.output).toContain("does not exist yet");
    expect(bed.k.namespaces()).not.toContain("preview-feature-login");

    expect((await runK3sDeploy(settings(), workspace.dir)).code).toBe(0);
    const seen = bed.k.requests().length;
    const server = await runK3sDeploy(
      settings({ PLUGIN_DRY_RUN: "server", PLUGIN_IMAGES: "calchat-server=calchat/server:next" }),
      workspace.dir,
    );
    expect(server.code, server.output).toBe(0);
    const patches = bed.k
      .requests()
      .slice(seen)
      .filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(5);
    expect(patches.every((r) => r.search.includes("dryRun=All"))).toBe(true);
    const deployment = bed.k.get("apps/v1", "Deployment", "preview-feature-login", "calchat-server") as any;
    expect(deployment.spec.template.spec.containers[0].image).toBe("git.example.com/calchat/server:3f2c1a0b");
  });

  it("reaches the cluster with server + token as well", async () => {
    const run = await runK3sDeploy(
      settings({
        PLUGIN_KUBECONFIG: "",
        PLUGIN_SERVER: bed.k.url,
        PLUGIN_TOKEN: bed.k.token,
        PLUGIN_CA_CERT: bed.certificate.caPem,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(bed.k.requests().every((r) => r.authenticated)).toBe(true);
  });
});
