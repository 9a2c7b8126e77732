import { parse as parseYaml } from "yaml";
import { isObject, type Json, type JsonObject } from "./apply.ts";
import type { Controller } from "./controller.ts";
import { apiVersionOf, type ResourceType, type ResourceTypes } from "./resources.ts";
import { fieldSelector, labelSelector } from "./select.ts";
import { ApiError, badRequest, groupResource, methodNotAllowed, notFound } from "./status.ts";
import { type Store, view } from "./store.ts";

/** The REST paths of the API: discovery, collections, objects, the log subresource. */

export interface Reply {
  status: number;
  json?: Json;
  text?: string;
}

export interface ResourceRoute {
  type: ResourceType;
  namespace: string;
  name: string | undefined;
  subresource: string | undefined;
}

export function parsePath(types: ResourceTypes, pathname: string): ResourceRoute | "discovery" | undefined {
  const parts = pathname.split("/").filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") {
    group = "";
    version = "v1";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1] ?? "";
    version = parts[2] ?? "";
    rest = parts.slice(3);
  } else return parts.length <= 2 && (parts[0] === "api" || parts[0] === "apis") ? "discovery" : undefined;
  if (rest.length === 0) return "discovery";
  let namespace = "";
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const inner = types.byPlural(group, version, rest[2] ?? "");
    if (inner?.namespaced) {
      namespace = rest[1] ?? "";
      rest = rest.slice(2);
    }
  }
  const type = types.byPlural(group, version, rest[0] ?? "");
  if (!type || rest.length > 3) return undefined;
  if (!type.namespaced && namespace) return undefined;
  return { type, namespace, name: rest[1], subresource: rest[2] };
}

export function discovery(types: ResourceTypes, pathname: string): Reply | undefined {
  const all = types.all();
  if (pathname === "/api")
    return {
      status: 200,
      json: {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:6443" }],
      },
    };
  if (pathname === "/apis") {
    const groups = new Map<string, Set<string>>();
    for (const type of all)
      if (type.group) groups.set(type.group, (groups.get(type.group) ?? new Set()).add(type.version));
    return {
      status: 200,
      json: {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups].map(([name, versions]) => {
          const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
          return { name, versions: list, preferredVersion: list[0] ?? null };
        }),
      },
    };
  }
  const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
  if (!match) {
    const group = /^\/apis\/([^/]+)$/.exec(pathname)?.[1];
    const versions = [...new Set(all.filter((t) => t.group === group).map((t) => t.version))];
    if (!group || versions.length === 0) return undefined;
    const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return {
      status: 200,
      json: {
        kind: "APIGroup",
        apiVersion: "v1",
        name: group,
        versions: list,
        preferredVersion: list[0] ?? null,
      },
    };
  }
  const group = match[1] ? "" : (match[2] ?? "");
  const version = match[1] ?? match[3] ?? "";
  const served = all.filter((t) => t.group === group && t.version === version);
  if (served.length === 0) return undefined;
  const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
  const resources: Json[] = [];
  for (const type of served) {
    resources.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs,
      ...(type.shortNames ? { shortNames: type.shortNames } : {}),
    });
    if (["Deployment", "StatefulSet", "DaemonSet", "Job", "Pod", "Namespace"].includes(type.kind))
      resources.push({
        name: `${type.plural}/status`,
        singularName: "",
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ["get", "patch", "update"],
      });
    if (type.kind === "Pod")
      resources.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
  }
  return {
    status: 200,
    json: {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    },
  };
}

/** List items carry no apiVersion/kind, as in the real server's typed lists. */
function listItem(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

export function list(store: Store, route: ResourceRoute, search: URLSearchParams): Reply {
  const matchLabels = labelSelector(search.get("labelSelector"));
  const matchFields = fieldSelector(search.get("fieldSelector"), route.type.kind);
  const items = store
    .list(route.type, route.type.namespaced && route.namespace ? route.namespace : undefined)
    .map(view)
    .filter((object) => matchLabels(object) && matchFields(object));
  return {
    status: 200,
    json: {
      kind: `${route.type.kind}List`,
      apiVersion: apiVersionOf(route.type),
      metadata: { resourceVersion: String(store.revision) },
      items: items.map(listItem),
    },
  };
}

export function get(store: Store, route: ResourceRoute): Reply {
  const object = store.get(route.type, route.namespace, route.name ?? "");
  if (!object) throw notFound(route.type, route.name ?? "");
  return { status: 200, json: view(object) };
}

function parseBody(text: string, contentType: string): JsonObject {
  let body: unknown;
  try {
    body = contentType.startsWith("application/apply-patch+yaml") ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `error decoding ${contentType.startsWith("application/apply") ? "YAML" : "JSON"}: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  if (!isObject(body)) throw badRequest("the body of the request must be an object");
  return body as JsonObject;
}

function checkIdentity(route: ResourceRoute, body: JsonObject, name: string): void {
  const expected = apiVersionOf(route.type);
  if (body.apiVersion !== expected || body.kind !== route.type.kind) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion ?? "")}) does not match the expected API version (${expected}), or kind ${String(body.kind ?? "")} is not ${route.type.kind}`,
    );
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name)
    throw badRequest(
      `the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`,
    );
  if (route.type.namespaced && metadata.namespace !== undefined && metadata.namespace !== route.namespace)
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
}

/** What a write (PATCH, POST) is handed: the store, the route, its query, and the body with its media type. */
type WriteRequest = [
  store: Store,
  route: ResourceRoute,
  search: URLSearchParams,
  contentType: string,
  text: string,
];

export function patch(...[store, route, search, contentType, text]: WriteRequest): Reply {
  if (!route.name || route.subresource) throw methodNotAllowed();
  if (!contentType.startsWith("application/apply-patch+yaml")) {
    throw new ApiError(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this stand-in serves server-side apply only), got ${contentType || "none"}`,
    );
  }
  const manager = search.get("fieldManager");
  if (!manager)
    throw new ApiError(
      422,
      "Invalid",
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      {
        causes: [
          {
            reason: "FieldValueRequired",
            message: "Required value: is required for apply patch",
            field: "fieldManager",
          },
        ],
      },
    );
  const force = search.get("force");
  if (force !== null && force !== "true" && force !== "false")
    throw badRequest(`invalid boolean value for force: ${force}`);
  const body = parseBody(text, contentType);
  checkIdentity(route, body, route.name);
  // A resourceVersion in the applied configuration is a precondition, as in the real server.
  const precondition = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
  if (precondition !== undefined && precondition !== null)
    checkVersion(
      store.get(route.type, route.namespace, route.name)?.resourceVersion,
      String(precondition),
      route,
    );
  const dryRun = dryRunOf(search);
  const result = store.write(route.type, route.namespace, route.name, body, {
    manager,
    operation: "Apply",
    force: force === "true",
    dryRun,
    create: false,
  });
  return { status: result.created ? 201 : 200, json: result.object };
}

export function create(...[store, route, search, contentType, text]: WriteRequest): Reply {
  if (route.name) throw methodNotAllowed();
  if (!contentType.startsWith("application/json"))
    throw new ApiError(415, "UnsupportedMediaType", `unsupported media type ${contentType}`);
  const body = parseBody(text, contentType);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : "";
  if (!name) throw badRequest("name or generateName is required");
  checkIdentity(route, body, name);
  const result = store.write(route.type, route.namespace, name, body, {
    manager: search.get("fieldManager") ?? "unknown",
    operation: "Update",
    force: true,
    dryRun: dryRunOf(search),
    create: true,
  });
  return { status: 201, json: result.object };
}

/** 409 when the object is not (or no longer) at the version a client made its change for. */
function checkVersion(current: number | undefined, wanted: string, route: ResourceRoute): void {
  if (current !== undefined && String(current) === wanted) return;
  throw new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${groupResource(route.type)} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name: route.name ?? "", group: route.type.group, kind: route.type.plural },
  );
}

export function remove(store: Store, route: ResourceRoute, search: URLSearchParams, text = ""): Reply {
  if (!route.name)
    throw methodNotAllowed(`deletecollection of ${groupResource(route.type)} is not served by this stand-in`);
  // DeleteOptions may carry preconditions: delete only the version the client saw.
  const options = text.trim() ? parseBody(text, "application/json") : {};
  const preconditions = isObject(options.preconditions) ? options.preconditions : {};
  const existing = store.get(route.type, route.namespace, route.name);
  if (existing && typeof preconditions.resourceVersion === "string")
    checkVersion(existing.resourceVersion, preconditions.resourceVersion, route);
  if (existing && typeof preconditions.uid === "string" && preconditions.uid !== existing.uid)
    checkVersion(undefined, "", route);
  return { status: 200, json: store.delete(route.type, route.namespace, route.name, dryRunOf(search)) };
}

function dryRunOf(search: URLSearchParams): boolean {
  const value = search.get("dryRun");
  if (value === null) return false;
  if (value !== "All") throw badRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
  return true;
}

/** GET …/pods/NAME/log: the container's lines, or the kubelet's refusal while it waits. */
export function podLog(
  store: Store,
  controller: Controller,
  route: ResourceRoute,
  search: URLSearchParams,
): Reply {
  const pod = store.get(route.type, route.namespace, route.name ?? "");
  if (!pod) throw notFound(route.type, route.name ?? "");
  const shown = view(pod);
  const containers = (
    isObject(shown.spec) && Array.isArray(shown.spec.containers) ? shown.spec.containers : []
  ).map((c) => String((c as JsonObject).name));
  const container = search.get("container") ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container)
    throw badRequest(
      `a container name must be specified for pod ${pod.name}, choose one of: [${containers.join(" ")}]`,
    );
  if (!containers.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${pod.name}`);
  const lines = controller.logs.get(`${pod.namespace}/${pod.name}`)?.get(container);
  if (!lines) {
    const statuses =
      isObject(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
    const own = statuses.find((s) => isObject(s) && s.name === container) as JsonObject | undefined;
    const waiting =
      isObject(own?.state) && isObject(own.state.waiting)
        ? String(own.state.waiting.reason ?? "")
        : "ContainerCreating";
    throw badRequest(`container "${container}" in pod "${pod.name}" is waiting to start: ${waiting}`);
  }
  const tail = Number(search.get("tailLines") ?? Number.NaN);
  const shownLines =
    Number.isInteger(tail) && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
  return { status: 200, text: shownLines.map((line) => `${line}\n`).join("") };
}
