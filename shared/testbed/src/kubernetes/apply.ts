/**
 * Server-side apply, the part clients notice: each field manager owns the fields of the
 * configuration it last applied; applying again replaces that manager's set (a field it no
 * longer sends is removed unless another manager owns it); a field another manager owns with a
 * different value is a conflict unless `force` takes it over. Maps merge key by key, lists are
 * atomic (owned whole), as for lists without a merge key in the real server.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ManagerEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  /** The fields this manager owns, with the values it set. */
  config: JsonObject;
}

export const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Fields that are the object's identity or the server's own; no manager owns them. */
const IDENTITY = new Set(["apiVersion", "kind"]);
const SERVER_METADATA = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
]);

/** The part of an applied object a manager comes to own (no identity, no status, no server metadata). */
export function ownedPart(object: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (IDENTITY.has(key) || key === "status") continue;
    if (key === "metadata" && isObject(value)) {
      const metadata: JsonObject = {};
      for (const [field, inner] of Object.entries(value))
        if (!SERVER_METADATA.has(field)) metadata[field] = inner;
      if (Object.keys(metadata).length > 0) result.metadata = metadata;
      continue;
    }
    result[key] = value;
  }
  return result;
}

/** Every leaf path of a configuration: maps are walked, everything else (lists too) is a leaf. */
export function leafPaths(value: JsonObject, prefix: string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const path = [...prefix, key];
    // An empty map owns nothing: `data: {}` does not claim the keys other managers set.
    if (isObject(inner)) paths.push(...leafPaths(inner, path));
    else paths.push(path);
  }
  return paths;
}

export function getPath(value: JsonObject, path: readonly string[]): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function deletePath(value: JsonObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete value[head];
    return;
  }
  const inner = value[head];
  if (!isObject(inner)) return;
  deletePath(inner, rest);
  if (Object.keys(inner).length === 0) delete value[head];
}

export function deepMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = result[key];
    result[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : clone(value);
  }
  return result;
}

export const clone = <T extends Json>(value: T): T => structuredClone(value);

export interface Conflict {
  manager: string;
  path: string;
}

/**
 * Applies `config` as `manager`: returns the new manager list, or the conflicts when another
 * manager owns a field with a different value and `force` is off.
 */
export function applyAs(
  managers: readonly ManagerEntry[],
  entry: ManagerEntry,
  force: boolean,
): { managers: ManagerEntry[] } | { conflicts: Conflict[] } {
  const others = managers.filter((m) => m.manager !== entry.manager || m.operation !== entry.operation);
  const conflicts: Conflict[] = [];
  const updated = others.map((m) => ({ ...m, config: clone(m.config) }));
  for (const path of leafPaths(entry.config)) {
    const wanted = JSON.stringify(getPath(entry.config, path));
    for (const other of updated) {
      const theirs = getPath(other.config, path);
      if (theirs === undefined) continue;
      if (JSON.stringify(theirs) === wanted) continue;
      if (force) deletePath(other.config, path);
      else conflicts.push({ manager: other.manager, path: `.${path.join(".")}` });
    }
  }
  if (conflicts.length > 0) return { conflicts };
  return {
    managers: [...updated.filter((m) => Object.keys(m.config).length > 0), entry],
  };
}

/** The object's fields as its managers' configurations combine (the last applied wins). */
export function combine(managers: readonly ManagerEntry[]): JsonObject {
  return managers.reduce<JsonObject>((merged, m) => deepMerge(merged, m.config), {});
}

/** managedFields as the server shows them: FieldsV1 trees (`f:spec` → `f:replicas`). */
export function managedFields(managers: readonly ManagerEntry[]): Json[] {
  const tree = (value: JsonObject): JsonObject =>
    Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [`f:${key}`, isObject(inner) ? tree(inner) : {}]),
    );
  return managers.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    time: m.time,
    fieldsType: "FieldsV1",
    fieldsV1: tree(m.config),
  }));
}
