// biome-ignore-all lint/suspicious/noExplicitAny: the tests read JSON answers; each assertion checks the shape it reads
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubernetesStandIn } from "../src/kubernetes/options.ts";
import { startKubernetesStandIn } from "../src/kubernetes/server.ts";
import { waitUntil } from "../src/wait.ts";

let k: KubernetesStandIn;
beforeAll(async () => {
  // Namespaces take 300 ms to empty: long enough to see them Terminating on a slow machine.
  k = await startKubernetesStandIn({ token: "kube-token-1234", stepMs: 20, namespaceDeleteMs: 300 });
});
afterAll(async () => {
  expect(k.schemaProblems()).toEqual([]);
  await k.stop();
});

async function call(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("Authorization", `Bearer ${init.token ?? k.token}`);
  const response = await fetch(`${k.url}${path}`, { ...init, headers });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as Record<string, any> | undefined };
}

const apply = (path: string, body: unknown, query = "fieldManager=hangar&force=true") =>
  call(`${path}?${query}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/apply-patch+yaml" },
    body: JSON.stringify(body),
  });

const ns = (name: string, labels: Record<string, string> = {}) =>
  apply(`/api/v1/namespaces/${name}`, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

const deployment = (name: string, image = "web:1", extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
    ...extra,
  },
});

/** A ConfigMap; `data` and the like go in `extra`. */
const configMap = (metadata: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata,
  ...extra,
});

describe("Kubernetes stand-in: discovery and auth", () => {
  it("refuses a request without the bearer token with a 401 Status", async () => {
    const result = await call("/api/v1/namespaces", { token: null });
    expect(result.status).toBe(401);
    expect(result.json).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    expect((await call("/api/v1/namespaces", { token: "wrong" })).status).toBe(401);
  });

  it("lists the core version, the groups and each group's resources", async () => {
    expect((await call("/api")).json).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const groups = (await call("/apis")).json?.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(
      expect.arrayContaining(["apps", "batch", "networking.k8s.io", "apiextensions.k8s.io"]),
    );
    const apps = (await call("/apis/apps/v1")).json;
    expect(apps?.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "deployments", kind: "Deployment", namespaced: true }),
      ]),
    );
    expect((await call("/apis/nope/v1")).status).toBe(404);
  });
});

describe("Kubernetes stand-in: server-side apply", () => {
  it("creates with 201, then answers a no-op apply without a new resourceVersion", async () => {
    const first = await ns("ssa-one");
    expect(first.status).toBe(201);
    expect(first.json?.status).toEqual({ phase: "Active" });
    expect(first.json?.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "ssa-one" });
    const made = await apply("/apis/apps/v1/namespaces/ssa-one/deployments/web", deployment("web"));
    expect(made.status).toBe(201);
    expect(made.json?.metadata.generation).toBe(1);
    expect(made.json?.metadata.managedFields[0]).toMatchObject({ manager: "hangar", operation: "Apply" });
    // A ConfigMap: no controller writes its status between the two applies.
    const cm = configMap({ name: "c" }, { data: { a: "1" } });
    const created = await apply("/api/v1/namespaces/ssa-one/configmaps/c", cm);
    const again = await apply("/api/v1/namespaces/ssa-one/configmaps/c", cm);
    expect(again.status).toBe(200);
    expect(again.json?.metadata.resourceVersion).toBe(created.json?.metadata.resourceVersion);
    const changed = await apply(
      "/apis/apps/v1/namespaces/ssa-one/deployments/web",
      deployment("web", "web:2"),
    );
    expect(changed.json?.metadata.generation).toBe(2);
  });

  it("requires the fieldManager and the apply content type", async () => {
    await ns("ssa-two");
    const path = "/api/v1/namespaces/ssa-two/configmaps/c";
    const body = configMap({ name: "c" }, { data: { a: "1" } });
    expect((await apply(path, body, "force=true")).json).toMatchObject({ code: 422, reason: "Invalid" });
    const merge = await call(`${path}?fieldManager=x`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify(body),
    });
    expect(merge.status).toBe(415);
  });

  it("reports a conflict with another manager unless forced, and removes fields a manager stops sending", async () => {
    await ns("ssa-three");
    const path = "/api/v1/namespaces/ssa-three/configmaps/c";
    const cm = (data: Record<string, string>) => configMap({ name: "c" }, { data });
    await apply(path, cm({ a: "1", b: "2" }), "fieldManager=hangar");
    const conflict = await apply(path, cm({ a: "other" }), "fieldManager=kubectl");
    expect(conflict.status).toBe(409);
    expect(conflict.json?.message).toContain('conflict with "hangar": .data.a');
    expect((await apply(path, cm({ a: "other", c: "3" }), "fieldManager=kubectl&force=true")).status).toBe(
      200,
    );
    const dropped = await apply(path, cm({ b: "2" }), "fieldManager=hangar");
    expect(dropped.json?.data).toEqual({ a: "other", b: "2", c: "3" });
    const last = await apply(path, cm({}), "fieldManager=kubectl");
    expect(last.json?.data).toEqual({ b: "2" });
  });

  it("rejects what the schema or the server's rules reject, naming every field", async () => {
    await ns("ssa-four");
    const bad = deployment("web", "", { replicas: "two" });
    const result = await apply("/apis/apps/v1/namespaces/ssa-four/deployments/web", bad);
    expect(result.status).toBe(422);
    expect(result.json?.message).toContain("spec.replicas: must be integer");
    expect(result.json?.message).toContain("spec.template.spec.containers[0].image: Required value");
    const label = await apply(
      "/api/v1/namespaces/ssa-four/configmaps/c",
      configMap({ name: "c", labels: { branch: "feature/login" } }),
    );
    expect(label.status).toBe(422);
    expect(label.json?.message).toContain('"feature/login"');
    const name = await ns("Preview_Feature");
    expect(name.status).toBe(422);
    const mismatch = await apply("/apis/apps/v1/namespaces/ssa-four/deployments/web", {
      ...deployment("web"),
      spec: { ...deployment("web").spec, selector: { matchLabels: { app: "other" } } },
    });
    expect(mismatch.json?.message).toContain("`selector` does not match template `labels`");
    const secret = await apply("/api/v1/namespaces/ssa-four/secrets/s", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      data: { KEY: "not base64!" },
    });
    expect(secret.json?.message).toContain("illegal base64 data");
    expect(secret.text).not.toContain("not base64!");
  });

  it("refuses an object in a missing namespace (404) and a name that differs from the URL (400)", async () => {
    const status = async (path: string, body: unknown) => (await apply(path, body)).status;
    expect(await status("/api/v1/namespaces/nowhere/configmaps/c", configMap({ name: "c" }))).toBe(404);
    await ns("ssa-five");
    expect(await status("/api/v1/namespaces/ssa-five/configmaps/c", configMap({ name: "d" }))).toBe(400);
    const wrongGroup = { ...configMap({ name: "c" }), apiVersion: "apps/v1" };
    expect(await status("/api/v1/namespaces/ssa-five/configmaps/c", wrongGroup)).toBe(400);
  });

  it("stores nothing on dryRun=All but still validates", async () => {
    await ns("ssa-six");
    const dry = await apply(
      "/apis/apps/v1/namespaces/ssa-six/deployments/web",
      deployment("web"),
      "fieldManager=h&dryRun=All",
    );
    expect(dry.status).toBe(201);
    expect(k.get("apps/v1", "Deployment", "ssa-six", "web")).toBeUndefined();
    const bad = await apply(
      "/apis/apps/v1/namespaces/ssa-six/deployments/web",
      deployment("web", ""),
      "fieldManager=h&dryRun=All",
    );
    expect(bad.status).toBe(422);
    expect(
      (await apply("/api/v1/namespaces/ssa-six/configmaps/c", {}, "fieldManager=h&dryRun=Yes")).status,
    ).toBe(400);
  });

  it("takes a resourceVersion in an apply or in DeleteOptions as a precondition (409 when it moved on)", async () => {
    await ns("ssa-seven");
    const path = "/api/v1/namespaces/ssa-seven/configmaps/release";
    const config = (build: string, resourceVersion?: string) =>
      configMap({ name: "release", ...(resourceVersion ? { resourceVersion } : {}) }, { data: { build } });
    const created = await apply(path, config("1"));
    const first = created.json?.metadata.resourceVersion as string;
    const moved = await apply(path, config("2"));
    expect(moved.status).toBe(200);
    const stale = await apply(path, config("3", first));
    expect(stale.status).toBe(409);
    expect(stale.json?.message).toContain("the object has been modified");
    const current = moved.json?.metadata.resourceVersion as string;
    const fresh = await apply(path, config("3", current));
    expect(fresh.status).toBe(200);
    expect((k.get("v1", "ConfigMap", "ssa-seven", "release") as any).data).toEqual({ build: "3" });
    const deleteAt = (resourceVersion: string) =>
      call(path, {
        method: "DELETE",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "DeleteOptions", preconditions: { resourceVersion } }),
      });
    expect((await deleteAt(current)).status).toBe(409);
    expect(k.get("v1", "ConfigMap", "ssa-seven", "release")).toBeDefined();
    expect((await deleteAt(fresh.json?.metadata.resourceVersion as string)).status).toBe(200);
    expect(k.get("v1", "ConfigMap", "ssa-seven", "release")).toBeUndefined();
  });

  it("turns a Secret's stringData into data and serves CRDs' resources once applied", async () => {
    await ns("ssa-seven");
    const secret = await apply("/api/v1/namespaces/ssa-seven/secrets/db", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db" },
      stringData: { PASSWORD: "hunter22" },
    });
    expect(secret.json?.data).toEqual({ PASSWORD: Buffer.from("hunter22").toString("base64") });
    expect(secret.json?.stringData).toBeUndefined();
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Widget", plural: "widgets", singular: "widget" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    };
    expect(
      (
        await apply("/apis/example.com/v1/namespaces/ssa-seven/widgets/w", {
          apiVersion: "example.com/v1",
          kind: "Widget",
          metadata: { name: "w" },
        })
      ).status,
    ).toBe(404);
    expect(
      (await apply("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", crd))
        .status,
    ).toBe(201);
    expect((await call("/apis/example.com/v1")).json?.resources[0]).toMatchObject({
      name: "widgets",
      kind: "Widget",
    });
    expect(
      (
        await apply("/apis/example.com/v1/namespaces/ssa-seven/widgets/w", {
          apiVersion: "example.com/v1",
          kind: "Widget",
          metadata: { name: "w" },
          spec: { size: 3 },
        })
      ).status,
    ).toBe(201);
  });
});

describe("Kubernetes stand-in: lists, watches, namespace deletion", () => {
  it("lists by label selector with items that carry no kind, and rejects unsupported field selectors", async () => {
    await ns("list-one");
    for (const name of ["a", "b"])
      await apply(
        `/api/v1/namespaces/list-one/configmaps/${name}`,
        configMap({ name, labels: { keep: name === "a" ? "yes" : "no" } }),
      );
    const listed = await call("/api/v1/namespaces/list-one/configmaps?labelSelector=keep%3Dyes");
    expect(listed.json).toMatchObject({ kind: "ConfigMapList", apiVersion: "v1" });
    expect(listed.json?.items.map((i: any) => i.metadata.name)).toEqual(["a"]);
    expect(listed.json?.items[0].kind).toBeUndefined();
    expect((await call("/api/v1/namespaces/list-one/configmaps?fieldSelector=data.x%3D1")).status).toBe(400);
  });

  it("streams changes after a resourceVersion, and deletes a namespace through Terminating", async () => {
    await ns("watch-one");
    const start = (await call("/api/v1/namespaces?fieldSelector=metadata.name%3Dwatch-one")).json?.metadata
      .resourceVersion;
    const controller = new AbortController();
    const response = await fetch(
      `${k.url}/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Dwatch-one&resourceVersion=${start}`,
      { headers: { Authorization: `Bearer ${k.token}` }, signal: controller.signal },
    );
    const seen: string[] = [];
    const done = (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk);
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const event = JSON.parse(line);
          seen.push(`${event.type}:${event.object.status?.phase ?? ""}`);
          if (event.type === "DELETED") return;
        }
      }
    })();
    const deleted = await call("/api/v1/namespaces/watch-one", { method: "DELETE" });
    expect(deleted.json?.status.phase).toBe("Terminating");
    const refused = await apply("/api/v1/namespaces/watch-one/configmaps/c", configMap({ name: "c" }));
    expect(refused.status).toBe(403);
    expect(refused.json?.message).toContain("is being terminated");
    await done;
    controller.abort();
    expect(seen).toEqual(["MODIFIED:Terminating", "DELETED:Terminating"]);
    expect(k.namespaces()).not.toContain("watch-one");
  });

  it("keeps a namespace Terminating while an object's finalizer remains", async () => {
    await ns("stuck-one");
    await apply(
      "/api/v1/namespaces/stuck-one/configmaps/held",
      configMap({ name: "held", finalizers: ["example.com/hold"] }),
    );
    await call("/api/v1/namespaces/stuck-one", { method: "DELETE" });
    await waitUntil(
      "the namespace controller to give up",
      () =>
        k.get("v1", "Namespace", "", "stuck-one")?.status !== undefined &&
        JSON.stringify(k.get("v1", "Namespace", "", "stuck-one")?.status).includes(
          "NamespaceFinalizersRemaining",
        ),
      { timeoutMs: 5000 },
    );
    const namespace = k.get("v1", "Namespace", "", "stuck-one");
    expect(namespace?.status).toMatchObject({
      phase: "Terminating",
      conditions: [{ type: "NamespaceFinalizersRemaining" }],
    });
    expect(k.get("v1", "ConfigMap", "stuck-one", "held")?.metadata).toHaveProperty("deletionTimestamp");
    k.releaseFinalizers("stuck-one");
    await waitUntil("the namespace to go", () => !k.namespaces().includes("stuck-one"), { timeoutMs: 5000 });
  });

  it("injects failures, echoing the request body when asked", async () => {
    await ns("fault-one");
    k.failNext({ method: "PATCH", path: /secrets/, status: 500, echoBody: true });
    const body = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { TOKEN: "echo-me-123" },
    };
    const failed = await apply("/api/v1/namespaces/fault-one/secrets/s", body);
    expect(failed.status).toBe(500);
    expect(failed.json?.message).toContain("echo-me-123");
    expect((await apply("/api/v1/namespaces/fault-one/secrets/s", body)).status).toBe(201);
    expect(k.requests().filter((r) => r.injected)).toHaveLength(1);
  });
});
