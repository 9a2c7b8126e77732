import type { GiteaSpec, Schema, SpecOperation } from "./spec.ts";

/** How JSON names a value's kind in Go's "cannot unmarshal X into …" messages. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "number";
  return typeof value === "object" ? "object" : "string";
}

function goType(spec: GiteaSpec, schema: Schema): string {
  if (schema.$ref) return `structs.${schema.$ref.split("/").pop()}`;
  switch (schema.type) {
    case "boolean":
      return "bool";
    case "integer":
      return schema.format === "int64" ? "int64" : "int";
    case "number":
      return "float64";
    case "array":
      return `[]${schema.items ? goType(spec, schema.items) : "interface {}"}`;
    case "object":
      return schema.properties ? "struct" : "map[string]interface {}";
    default:
      return "string";
  }
}

/** Whether Go's encoding/json would put `value` into a field of this schema without an error. */
function fitsGo(spec: GiteaSpec, schema: Schema, value: unknown): boolean {
  if (value === null) return true; // null leaves a Go field at its zero value
  const resolved = schema.$ref ? spec.resolve(schema.$ref) : schema;
  switch (resolved.type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "array":
      return Array.isArray(value);
    default:
      return typeof value === "object" && !Array.isArray(value);
  }
}

/** Finds a struct field the way encoding/json does: exact name first, then case-insensitively. */
function fieldFor(properties: Record<string, Schema>, key: string): string | undefined {
  if (key in properties) return key;
  const lower = key.toLowerCase();
  return Object.keys(properties).find((name) => name.toLowerCase() === lower);
}

function isZero(value: unknown): boolean {
  return value === undefined || value === null || value === "" || value === false || value === 0;
}

export interface BoundBody {
  /** The fields Gitea would have bound, under the schema's JSON names. */
  value: Record<string, unknown>;
  /** Body keys no field takes: Gitea's decoder ignores them silently. */
  ignored: string[];
}

/**
 * Binds a JSON body to a request definition the way Gitea's bind() does (gitea.com/go-chi/binding:
 * json.NewDecoder(body).Decode, then the `binding:"Required"` checks), and answers with the first
 * problem in Gitea's 422 wording: `[]: json: cannot unmarshal …` or `[TagName]: Required`.
 *
 * Unknown fields are NOT an error: the decoder is not told DisallowUnknownFields, so real Gitea
 * ignores them. They are reported in `ignored` so a test can still notice a misspelt field.
 */
export function bindJsonBody(spec: GiteaSpec, definition: string, text: string): BoundBody | string {
  const schema = spec.resolve(`#/definitions/${definition}`);
  const properties = schema.properties ?? {};
  let parsed: unknown = {};
  if (text.trim() !== "") {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `[]: invalid character in JSON body (${reason})`;
    }
  }
  if (parsed === null) parsed = {};
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `[]: json: cannot unmarshal ${jsonKind(parsed)} into Go value of type structs.${definition}`;
  }
  const value: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [key, each] of Object.entries(parsed)) {
    const field = fieldFor(properties, key);
    const fieldSchema = field === undefined ? undefined : properties[field];
    if (field === undefined || fieldSchema === undefined) {
      ignored.push(key);
      continue;
    }
    if (!fitsGo(spec, fieldSchema, each)) {
      const kind = typeof each === "number" && !Number.isInteger(each) ? `number ${each}` : jsonKind(each);
      return `[]: json: cannot unmarshal ${kind} into Go struct field ${definition}.${key} of type ${goType(spec, fieldSchema)}`;
    }
    if (each !== null) value[field] = each;
  }
  for (const name of schema.required ?? []) {
    if (isZero(value[name])) return `[${properties[name]?.["x-go-name"] ?? name}]: Required`;
  }
  return { value, ignored };
}

const GO_BOOLEANS = new Set([
  "1",
  "t",
  "T",
  "TRUE",
  "true",
  "True",
  "0",
  "f",
  "F",
  "FALSE",
  "false",
  "False",
]);

/** Go's strconv.ParseBool, which Gitea's FormOptionalBool/FormBool use. */
export function parseGoBool(text: string): boolean | undefined {
  if (!GO_BOOLEANS.has(text)) return undefined;
  return ["1", "t", "T", "TRUE", "true", "True"].includes(text);
}

/**
 * Strict check of the query string against the operation's documented query parameters.
 *
 * Real Gitea 1.22 does not do this: it ignores unknown query parameters and reads a malformed
 * integer as 0 and a malformed boolean as "not given". The stand-in rejects both with a 422 in
 * Gitea's validation-error shape, because a client that relies on either is broken in a way the
 * real server would only show as silently wrong results (`per_page` instead of `limit`, say).
 */
export function checkQuery(
  spec: GiteaSpec,
  operation: SpecOperation,
  query: URLSearchParams,
): string | undefined {
  const documented = new Map(
    operation.parameters.filter((each) => each.in === "query").map((p) => [p.name, p]),
  );
  for (const [name, text] of query) {
    const parameter = documented.get(name);
    if (!parameter) {
      if (spec.globalQuery.has(name)) continue;
      const known = [...documented.keys()];
      const hint =
        known.length > 0 ? `this operation takes ${known.join(", ")}` : "this operation takes none";
      return `[${name}]: unknown query parameter (${hint}; Gitea 1.22 would silently ignore it)`;
    }
    const type = parameter.type === "array" ? parameter.items?.type : parameter.type;
    if (type === "integer" && !/^[+-]?\d+$/.test(text)) {
      return `[${name}]: ${JSON.stringify(text)} is not an integer (Gitea 1.22 would silently read it as 0)`;
    }
    if (type === "boolean" && parseGoBool(text) === undefined) {
      return `[${name}]: ${JSON.stringify(text)} is not a boolean (Gitea 1.22 would silently ignore it)`;
    }
  }
  return undefined;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a response body against a schema: types, formats of date-times, and no property the
 * schema does not define. `null` is accepted where Go would write it (nil pointers, nil slices).
 */
export function checkResponse(spec: GiteaSpec, schema: Schema, value: unknown, at = "$"): string[] {
  if (schema.$ref) {
    if (value === null) return [];
    return checkResponse(spec, spec.resolve(schema.$ref), value, at);
  }
  const type = schema.type ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "string":
      // A nil *time.Time (an open issue's closed_at, a due_date never set): Go writes null.
      if (value === null && schema.format === "date-time") return [];
      if (typeof value !== "string") return [`${at}: expected a string, got ${jsonKind(value)}`];
      if (schema.format === "date-time" && !DATE_TIME.test(value))
        return [`${at}: ${JSON.stringify(value)} is not an RFC 3339 date-time`];
      return [];
    case "integer":
      return typeof value === "number" && Number.isInteger(value)
        ? []
        : [`${at}: expected an integer, got ${jsonKind(value)}`];
    case "number":
      return typeof value === "number" ? [] : [`${at}: expected a number, got ${jsonKind(value)}`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${at}: expected a boolean, got ${jsonKind(value)}`];
    case "array":
      if (value === null) return [];
      if (!Array.isArray(value)) return [`${at}: expected an array, got ${jsonKind(value)}`];
      return value.flatMap((each, index) =>
        schema.items ? checkResponse(spec, schema.items, each, `${at}[${index}]`) : [],
      );
    case "object":
      return checkObject(spec, schema, value, at);
    default:
      return [];
  }
}

function checkObject(spec: GiteaSpec, schema: Schema, value: unknown, at: string): string[] {
  if (value === null) return [];
  if (typeof value !== "object" || Array.isArray(value))
    return [`${at}: expected an object, got ${jsonKind(value)}`];
  const problems: string[] = [];
  const properties = schema.properties ?? {};
  for (const [key, each] of Object.entries(value)) {
    const property = properties[key];
    if (property) problems.push(...checkResponse(spec, property, each, `${at}.${key}`));
    else if (typeof schema.additionalProperties === "object")
      problems.push(...checkResponse(spec, schema.additionalProperties, each, `${at}.${key}`));
    else if (schema.additionalProperties !== true && schema.properties)
      problems.push(`${at}.${key}: not a property of this schema`);
  }
  return problems;
}
