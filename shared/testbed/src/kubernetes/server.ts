import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { stringify } from "yaml";
import { LOOPBACK } from "../ports.ts";
import { arrive } from "../request-arrival.ts";
import { isObject, type JsonObject } from "./apply.ts";
import { Controller } from "./controller.ts";
import type {
  KubernetesFailure,
  KubernetesRequest,
  KubernetesStandIn,
  KubernetesStandInOptions,
} from "./options.ts";
import { type ResourceType, ResourceTypes } from "./resources.ts";
import { create, discovery, get, list, parsePath, patch, podLog, type Reply, remove } from "./routes.ts";
import { semanticProblems } from "./rules.ts";
import { fieldSelector, labelSelector } from "./select.ts";
import { ApiError, methodNotAllowed } from "./status.ts";
import { Store, view } from "./store.ts";

/**
 * A strict stand-in for the Kubernetes API of a one-node k3s on 127.0.0.1: discovery, namespaces
 * (Terminating on delete), server-side apply with field managers, objects checked against the
 * Kubernetes schemas (kubernetes-models) and the server's own rules, watches, and controllers that
 * roll workloads out (or fail them the way a test chose), with pods, events and logs.
 */
export async function startKubernetesStandIn(
  options: KubernetesStandInOptions = {},
): Promise<KubernetesStandIn> {
  const token = options.token ?? randomBytes(24).toString("hex");
  const problems: string[] = [];
  const types = new ResourceTypes();
  const store = new Store(types, (object, type) => selfCheck(object, type, problems));
  let behaviour = options.rollout ?? (() => "normal" as const);
  const controller = new Controller(store, {
    stepMs: options.stepMs ?? 100,
    namespaceDeleteMs: options.namespaceDeleteMs ?? 200,
    behaviour: (workload) => behaviour(workload),
    ...(options.logs ? { logs: options.logs } : {}),
  });
  const namespaceType = types.byKind("v1", "Namespace") as ResourceType;
  for (const name of ["default", "kube-system", ...(options.namespaces ?? [])]) {
    store.write(
      namespaceType,
      "",
      name,
      { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      {
        manager: "k3s",
        operation: "Update",
        force: true,
        dryRun: false,
        create: true,
      },
    );
  }

  const requests: KubernetesRequest[] = [];
  let failures: { rule: KubernetesFailure; remaining: number }[] = [];
  const watches = new Set<ServerResponse>();

  const server = options.tls
    ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem, requestTimeout: 0 })
    : createServer({ requestTimeout: 0 });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const arrival = arrive(req, requests, "http://stand-in");
    const { url, method } = arrival;
    const watch = ["1", "true"].includes(url.searchParams.get("watch") ?? "");
    const record: KubernetesRequest = {
      ...arrival.record,
      contentType: req.headers["content-type"],
      authenticated: req.headers.authorization === `Bearer ${token}`,
      watch,
    };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let reply: Reply | "watching";
      try {
        reply = answer(method, url, body, record, res);
      } catch (error) {
        if (error instanceof ApiError) reply = { status: error.code, json: error.toStatus() };
        else {
          problems.push(
            `internal error on ${method} ${url.pathname}: ${error instanceof Error ? error.stack : error}`,
          );
          reply = {
            status: 500,
            json: new ApiError(500, "InternalError", "Internal error occurred").toStatus(),
          };
        }
      }
      if (reply === "watching") {
        record.status = 200;
        return;
      }
      record.status = reply.status;
      record.ms = arrival.elapsed();
      send(res, reply);
    });
  });

  function answer(
    method: string,
    url: URL,
    body: string,
    record: KubernetesRequest,
    res: ServerResponse,
  ): Reply | "watching" {
    const path = url.pathname;
    if (["/healthz", "/livez", "/readyz"].includes(path)) return { status: 200, text: "ok" };
    if (!record.authenticated) throw new ApiError(401, "Unauthorized", "Unauthorized");
    const failure = failures.find(
      (f) =>
        (!f.rule.method || f.rule.method.toUpperCase() === method) &&
        (f.rule.path === undefined ||
          (f.rule.path instanceof RegExp ? f.rule.path.test(path) : f.rule.path === path)),
    );
    if (failure) {
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      record.injected = true;
      const message = `admission webhook "policy.hangar.test" denied the request${failure.rule.echoBody ? `: ${body}` : ""}`;
      throw new ApiError(
        failure.rule.status,
        failure.rule.status === 422 ? "Invalid" : "InternalError",
        message,
      );
    }
    if (path === "/version")
      return {
        status: 200,
        json: {
          major: "1",
          minor: "33",
          gitVersion: options.gitVersion ?? "v1.33.4+k3s1",
          platform: "linux/amd64",
        },
      };
    const route = parsePath(types, path);
    if (route === "discovery") {
      const reply = method === "GET" ? discovery(types, path) : undefined;
      if (reply) return reply;
    }
    if (route === undefined || route === "discovery")
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    const contentType = String(record.contentType ?? "");
    const search = url.searchParams;
    if (
      route.subresource &&
      !(route.subresource === "log" && route.type.kind === "Pod") &&
      route.subresource !== "status"
    )
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    switch (method) {
      case "GET":
        if (route.subresource === "log") return podLog(store, controller, route, search);
        if (route.name) return get(store, route);
        if (record.watch) return startWatch(route.type, route.namespace, search, res);
        return list(store, route, search);
      case "PATCH":
        return patch(store, route, search, contentType, body);
      case "POST":
        return create(store, route, search, contentType, body);
      case "DELETE":
        return remove(store, route, search, body);
      default:
        throw methodNotAllowed();
    }
  }

  /** A watch: newline-separated JSON events, from the given resourceVersion (or all current objects). */
  function startWatch(
    type: ResourceType,
    namespace: string,
    search: URLSearchParams,
    res: ServerResponse,
  ): "watching" {
    const matchLabels = labelSelector(search.get("labelSelector"));
    const matchFields = fieldSelector(search.get("fieldSelector"), type.kind);
    const wanted = (object: JsonObject, changeType: ResourceType, changeNamespace: string) =>
      changeType === type &&
      (!type.namespaced || !namespace || changeNamespace === namespace) &&
      matchLabels(object) &&
      matchFields(object);
    const from = search.get("resourceVersion");
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    // A watch with nothing to report yet still answers at once, as the API server does.
    res.flushHeaders();
    watches.add(res);
    const write = (eventType: string, object: JsonObject) =>
      res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    if (!from || from === "0") {
      for (const object of store.list(type, type.namespaced && namespace ? namespace : undefined)) {
        const shown = view(object);
        if (wanted(shown, object.type, object.namespace)) write("ADDED", shown);
      }
    } else {
      const changes = store.since(Number(from));
      if (!changes) {
        write(
          "ERROR",
          new ApiError(
            410,
            "Expired",
            `too old resource version: ${from} (${store.revision})`,
          ).toStatus() as JsonObject,
        );
        res.end();
        watches.delete(res);
        return "watching";
      }
      for (const change of changes)
        if (wanted(change.view, change.object.type, change.object.namespace)) write(change.type, change.view);
    }
    const unsubscribe = store.subscribe((change) => {
      if (wanted(change.view, change.object.type, change.object.namespace)) write(change.type, change.view);
    });
    const seconds = Number(search.get("timeoutSeconds") ?? 1800);
    const timer = setTimeout(() => res.end(), Math.max(1, seconds) * 1000);
    res.on("close", () => {
      clearTimeout(timer);
      unsubscribe();
      watches.delete(res);
    });
    return "watching";
  }

  function send(res: ServerResponse, reply: Reply): void {
    const body = reply.json !== undefined ? `${JSON.stringify(reply.json)}\n` : (reply.text ?? "");
    res.writeHead(reply.status, {
      "Content-Type": reply.json !== undefined ? "application/json" : "text/plain",
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-cache, private",
    });
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the Kubernetes stand-in did not get a port");
  const url = `${options.tls ? "https" : "http"}://${LOOPBACK}:${address.port}`;
  let stopped = false;

  const typeOf = (apiVersion: string, kind: string) => {
    const type = types.byKind(apiVersion, kind);
    if (!type) throw new Error(`the stand-in serves no ${kind} in ${apiVersion}`);
    return type;
  };

  return {
    url,
    token,
    caPem: options.tls?.caPem,
    kubeconfig(config = {}) {
      const ca = config.caPem ?? options.tls?.caPem;
      return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "standin",
            cluster: {
              server: url,
              ...(ca ? { "certificate-authority-data": Buffer.from(ca).toString("base64") } : {}),
            },
          },
        ],
        users: [{ name: "ci", user: { token: config.token ?? token } }],
        contexts: [
          {
            name: "standin",
            context: {
              cluster: "standin",
              user: "ci",
              ...(config.namespace ? { namespace: config.namespace } : {}),
            },
          },
        ],
        "current-context": "standin",
      });
    },
    get(apiVersion, kind, namespace, name) {
      const object = store.get(typeOf(apiVersion, kind), namespace, name);
      return object ? view(object) : undefined;
    },
    list: (apiVersion, kind, namespace) => store.list(typeOf(apiVersion, kind), namespace).map(view),
    namespaces: () => store.list(namespaceType).map((ns) => ns.name),
    events: (namespace) =>
      store
        .list(typeOf("v1", "Event"), namespace)
        .map(view)
        .sort(
          (a, b) =>
            Number((a.metadata as JsonObject).resourceVersion) -
            Number((b.metadata as JsonObject).resourceVersion),
        ),
    availableAt: (kind, namespace, name) => controller.availableAt.get(`${kind}/${namespace}/${name}`),
    setRollout(next) {
      behaviour = next;
    },
    releaseFinalizers(namespace) {
      for (const object of store.all().filter((o) => o.namespace === namespace)) {
        for (const manager of object.managers) {
          if (isObject(manager.config.metadata)) delete manager.config.metadata.finalizers;
        }
        if (object.deletionTimestamp) store.remove(object);
      }
    },
    requests: () => requests.map((r) => ({ ...r })),
    failNext(failure) {
      failures.push({ rule: failure, remaining: failure.count ?? 1 });
    },
    clearFaults() {
      failures = [];
    },
    schemaProblems: () => [...problems],
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.stop();
      for (const res of watches) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the stand-in itself writes must pass the schemas it enforces on clients. */
function selfCheck(object: JsonObject, type: ResourceType, problems: string[]): void {
  const issues = [...(type.validate?.(object) ?? []), ...semanticProblems(type, object)];
  if (issues.length === 0) return;
  const name = isObject(object.metadata) ? String(object.metadata.name) : "?";
  problems.push(`${type.kind} ${name}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
}
