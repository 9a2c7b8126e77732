import { randomUUID } from "node:crypto";
import {
  applyAs,
  clone,
  combine,
  deepMerge,
  isObject,
  type Json,
  type JsonObject,
  type ManagerEntry,
  managedFields,
  ownedPart,
} from "./apply.ts";
import { apiVersionOf, type ResourceType, type ResourceTypes } from "./resources.ts";
import { immutableProblems, semanticProblems } from "./rules.ts";
import { ApiError, groupResource, invalid, notFound } from "./status.ts";

/**
 * The objects of the stand-in cluster, one resourceVersion counter for all (as etcd's revision),
 * and the history of changes that watches replay from a resourceVersion.
 */

export interface StoredObject {
  type: ResourceType;
  namespace: string;
  name: string;
  uid: string;
  created: string;
  resourceVersion: number;
  generation: number;
  managers: ManagerEntry[];
  /** Fields the server sets (defaults, a Service's clusterIP), under every manager's fields. */
  server: JsonObject;
  status: JsonObject | undefined;
  deletionTimestamp: string | undefined;
}

export type WatchType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  type: WatchType;
  resourceVersion: number;
  object: StoredObject;
  view: JsonObject;
}

const HISTORY = 2000;
const now = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");

export function keyOf(type: ResourceType, namespace: string, name: string): string {
  return `${apiVersionOf(type)}/${type.kind}/${namespace}/${name}`;
}

/** The object as the API shows it. */
export function view(object: StoredObject): JsonObject {
  const merged = deepMerge(object.server, combine(object.managers));
  const metadata: JsonObject = {
    ...(isObject(merged.metadata) ? merged.metadata : {}),
    name: object.name,
    ...(object.type.namespaced ? { namespace: object.namespace } : {}),
    uid: object.uid,
    resourceVersion: String(object.resourceVersion),
    ...(object.type.kind === "Namespace" || object.type.kind === "Event"
      ? {}
      : { generation: object.generation }),
    creationTimestamp: object.created,
    ...(object.deletionTimestamp ? { deletionTimestamp: object.deletionTimestamp } : {}),
    managedFields: managedFields(object.managers),
  };
  const { metadata: _ignored, ...rest } = merged;
  return {
    apiVersion: apiVersionOf(object.type),
    kind: object.type.kind,
    metadata,
    ...rest,
    ...(object.status ? { status: object.status } : {}),
  };
}

/** Spec-like content: what a change of bumps `metadata.generation`. */
const specOf = (view: JsonObject) => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = view;
  return JSON.stringify(rest);
};

export class Store {
  readonly #objects = new Map<string, StoredObject>();
  readonly #history: Change[] = [];
  readonly #listeners = new Set<(change: Change) => void>();
  readonly types: ResourceTypes;
  /** Called on every object whose view the server produced, to check it against the schemas. */
  readonly selfCheck: (object: JsonObject, type: ResourceType) => void;
  #revision = 100;

  constructor(types: ResourceTypes, selfCheck: (object: JsonObject, type: ResourceType) => void) {
    this.types = types;
    this.selfCheck = selfCheck;
  }

  get revision(): number {
    return this.#revision;
  }

  get(type: ResourceType, namespace: string, name: string): StoredObject | undefined {
    return this.#objects.get(keyOf(type, namespace, name));
  }

  list(type: ResourceType, namespace?: string): StoredObject[] {
    return [...this.#objects.values()]
      .filter((o) => o.type === type && (namespace === undefined || o.namespace === namespace))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  all(): StoredObject[] {
    return [...this.#objects.values()];
  }

  /** Changes after `resourceVersion`, or undefined when the history no longer reaches back that far. */
  since(resourceVersion: number): Change[] | undefined {
    const first = this.#history[0];
    if (first && resourceVersion < first.resourceVersion - 1 && this.#history.length >= HISTORY)
      return undefined;
    return this.#history.filter((change) => change.resourceVersion > resourceVersion);
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(type: WatchType, object: StoredObject): void {
    const shown = view(object);
    this.selfCheck(shown, object.type);
    const change: Change = { type, resourceVersion: object.resourceVersion, object, view: shown };
    this.#history.push(change);
    if (this.#history.length > HISTORY) this.#history.shift();
    for (const listener of this.#listeners) listener(change);
  }

  #checkNamespace(type: ResourceType, namespace: string): void {
    if (!type.namespaced) return;
    const ns = this.types.byKind("v1", "Namespace");
    const record = ns && this.get(ns, "", namespace);
    if (!ns || !record) throw notFound(ns ?? type, namespace);
    if (record.deletionTimestamp) {
      throw new ApiError(
        403,
        "Forbidden",
        `${type.plural} "…" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          group: type.group,
          kind: type.plural,
          causes: [{ reason: "NamespaceTerminating", field: "metadata.namespace" }],
        },
      );
    }
  }

  /**
   * Server-side apply (and create, as an Update manager). Validates the combined object first;
   * `dryRun` returns what would be stored without storing it.
   */
  write(
    type: ResourceType,
    namespace: string,
    name: string,
    body: JsonObject,
    options: {
      manager: string;
      operation: "Apply" | "Update";
      force: boolean;
      dryRun: boolean;
      create: boolean;
    },
  ): { object: JsonObject; created: boolean } {
    const existing = this.get(type, namespace, name);
    if (options.create && existing) {
      throw new ApiError(409, "AlreadyExists", `${groupResource(type)} "${name}" already exists`, {
        name,
        group: type.group,
        kind: type.plural,
      });
    }
    if (!existing) this.#checkNamespace(type, namespace);
    if (existing?.deletionTimestamp && !options.dryRun && type.kind === "Namespace") {
      throw new ApiError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on namespaces "${name}": the object is being deleted`,
      );
    }
    const entry: ManagerEntry = {
      manager: options.manager,
      operation: options.operation,
      apiVersion: apiVersionOf(type),
      time: now(),
      config: ownedPart(body),
    };
    const applied = applyAs(existing?.managers ?? [], entry, options.force);
    if ("conflicts" in applied) {
      const list = applied.conflicts.map((c) => `conflict with "${c.manager}": ${c.path}`);
      throw new ApiError(
        409,
        "Conflict",
        `Apply failed with ${list.length} conflict${list.length === 1 ? "" : "s"}: ${list.join("\n")}`,
        {
          causes: applied.conflicts.map((c) => ({
            reason: "FieldManagerConflict",
            message: `conflict with "${c.manager}"`,
            field: c.path,
          })),
        },
      );
    }
    const next: StoredObject = existing
      ? { ...existing, managers: applied.managers }
      : {
          type,
          namespace,
          name,
          uid: randomUUID(),
          created: now(),
          resourceVersion: 0,
          generation: 1,
          managers: applied.managers,
          server: {},
          status: undefined,
          deletionTimestamp: undefined,
        };
    normalise(next);
    const shown = view(next);
    const problems = [...(type.validate?.(shown) ?? []), ...semanticProblems(type, shown)];
    if (existing) problems.push(...immutableProblems(type, view(existing), shown));
    if (problems.length > 0) throw invalid(type, name, problems);
    if (existing) {
      const before = view(existing);
      const changed =
        JSON.stringify({
          ...before,
          metadata: { ...(before.metadata as JsonObject), managedFields: null, resourceVersion: null },
        }) !==
        JSON.stringify({
          ...shown,
          metadata: { ...(shown.metadata as JsonObject), managedFields: null, resourceVersion: null },
        });
      // A no-op apply changes nothing, not even the resourceVersion or the managers' times.
      if (!changed) return { object: before, created: false };
      if (specOf(before) !== specOf(shown)) next.generation = existing.generation + 1;
    }
    if (options.dryRun)
      return {
        object: view({ ...next, resourceVersion: existing?.resourceVersion ?? 0 }),
        created: !existing,
      };
    next.resourceVersion = ++this.#revision;
    if (type.kind === "Namespace" && !existing) next.status = { phase: "Active" };
    this.#objects.set(keyOf(type, namespace, name), next);
    if (type.kind === "CustomResourceDefinition") this.types.defineCustom(name, shown);
    this.#emit(existing ? "MODIFIED" : "ADDED", next);
    // Applying without the last finalizer lets an object that was waiting for it go.
    const finalizers = (shown.metadata as JsonObject).finalizers;
    if (
      next.deletionTimestamp &&
      !(Array.isArray(finalizers) && finalizers.length > 0) &&
      type.kind !== "Namespace"
    )
      this.remove(next);
    return { object: view(next), created: !existing };
  }

  /** A controller's status write (the status subresource: the spec stays, generation too). */
  setStatus(object: StoredObject, status: JsonObject): void {
    const current = this.get(object.type, object.namespace, object.name);
    if (!current || current.uid !== object.uid) return;
    if (JSON.stringify(current.status) === JSON.stringify(status)) return;
    current.status = clone(status);
    current.resourceVersion = ++this.#revision;
    this.#emit("MODIFIED", current);
  }

  /** Creates an object as a controller would (pods, events): no apply, no conflicts. */
  createOwned(
    type: ResourceType,
    namespace: string,
    body: JsonObject,
    status?: JsonObject,
  ): StoredObject | undefined {
    const name = String((body.metadata as JsonObject | undefined)?.name ?? "");
    const ns = this.types.byKind("v1", "Namespace");
    const nsRecord = ns && this.get(ns, "", namespace);
    if (!nsRecord || nsRecord.deletionTimestamp) return undefined;
    const record: StoredObject = {
      type,
      namespace,
      name,
      uid: randomUUID(),
      created: now(),
      resourceVersion: ++this.#revision,
      generation: 1,
      managers: [
        {
          manager: "k3s",
          operation: "Update",
          apiVersion: apiVersionOf(type),
          time: now(),
          config: ownedPart(body),
        },
      ],
      server: {},
      status,
      deletionTimestamp: undefined,
    };
    this.#objects.set(keyOf(type, namespace, name), record);
    this.#emit("ADDED", record);
    return record;
  }

  /**
   * Deletes an object. One with finalizers stays, marked with a deletionTimestamp (Terminating),
   * until they are removed; a namespace is always only marked: the namespace controller empties it.
   */
  delete(type: ResourceType, namespace: string, name: string, dryRun = false): JsonObject {
    const existing = this.get(type, namespace, name);
    if (!existing) throw notFound(type, name);
    if (dryRun) return view(existing);
    const finalizers = (view(existing).metadata as JsonObject).finalizers;
    if (type.kind === "Namespace" || (Array.isArray(finalizers) && finalizers.length > 0)) {
      if (!existing.deletionTimestamp) {
        existing.deletionTimestamp = now();
        if (type.kind === "Namespace") existing.status = { ...(existing.status ?? {}), phase: "Terminating" };
        existing.resourceVersion = ++this.#revision;
        this.#emit("MODIFIED", existing);
      }
      return view(existing);
    }
    this.remove(existing);
    return view(existing);
  }

  /** Takes an object out for good (after its finalizers are gone). */
  remove(object: StoredObject): void {
    const key = keyOf(object.type, object.namespace, object.name);
    if (this.#objects.get(key)?.uid !== object.uid) return;
    this.#objects.delete(key);
    object.resourceVersion = ++this.#revision;
    if (object.type.kind === "CustomResourceDefinition") this.types.defineCustom(object.name, undefined);
    this.#emit("DELETED", object);
  }
}

/** What the server fills in on write: a Secret's stringData becomes data; a Service gets a cluster IP. */
let nextIp = 10;
function normalise(object: StoredObject): void {
  if (object.type.kind === "Secret") {
    for (const manager of object.managers) {
      const stringData = manager.config.stringData;
      if (!isObject(stringData)) continue;
      const data: JsonObject = isObject(manager.config.data) ? { ...manager.config.data } : {};
      for (const [key, value] of Object.entries(stringData))
        data[key] = Buffer.from(String(value)).toString("base64");
      manager.config.data = data;
      delete manager.config.stringData;
    }
    if (!object.server.type) object.server.type = "Opaque";
  }
  if (object.type.kind === "Service" && !isObject(object.server.spec)) {
    const ip = `10.43.0.${nextIp++ % 250}`;
    object.server.spec = { clusterIP: ip, clusterIPs: [ip] as Json, type: "ClusterIP" };
  }
  if (object.type.kind === "Namespace" && !isObject(object.server.spec)) {
    object.server.spec = { finalizers: ["kubernetes"] };
    object.server.metadata = { labels: { "kubernetes.io/metadata.name": object.name } };
  }
}
