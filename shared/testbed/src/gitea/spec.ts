import { specLoader, specsDir } from "../spec-file.ts";

/** The part of a Swagger 2.0 schema object the stand-in reads. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  "x-go-name"?: string;
}

export interface SpecParameter {
  name: string;
  in: "path" | "query" | "body" | "formData" | "header";
  type?: string;
  format?: string;
  required?: boolean;
  schema?: Schema;
  items?: Schema;
}

export interface SpecOperation {
  method: string;
  template: string;
  operationId: string;
  parameters: SpecParameter[];
  consumes: string[] | undefined;
  responses: Record<string, { $ref?: string; schema?: Schema }>;
}

interface RawSpec {
  basePath: string;
  info: { version: string };
  paths: Record<string, Record<string, Omit<SpecOperation, "method" | "template">>>;
  definitions: Record<string, Schema>;
  responses: Record<string, { schema?: Schema }>;
  securityDefinitions: Record<string, { type: string; name?: string; in?: string }>;
}

export interface RouteMatch {
  template: string;
  params: Record<string, string>;
  operations: ReadonlyMap<string, SpecOperation>;
}

// Gitea registers these with chi's catch-all `*` (tags/*, git/refs/*, compare/* …): the last
// parameter takes the rest of the path, slashes included. Every other parameter is one segment.
const GREEDY = new Set([
  "/repos/{owner}/{repo}/tags/{tag}",
  "/repos/{owner}/{repo}/git/refs/{ref}",
  "/repos/{owner}/{repo}/compare/{basehead}",
  "/repos/{owner}/{repo}/branches/{branch}",
  "/repos/{owner}/{repo}/contents/{filepath}",
  "/repos/{owner}/{repo}/raw/{filepath}",
  "/repos/{owner}/{repo}/media/{filepath}",
  "/repos/{owner}/{repo}/archive/{archive}",
]);

type Segment = { kind: "static"; text: string } | { kind: "param" | "greedy"; name: string };

interface Route {
  template: string;
  segments: Segment[];
  operations: Map<string, SpecOperation>;
}

function compile(template: string): Segment[] {
  const parts = template.split("/").slice(1);
  return parts.map((part, index) => {
    const name = /^\{(.+)\}$/.exec(part)?.[1];
    if (name === undefined) return { kind: "static", text: part };
    const greedy = GREEDY.has(template) && index === parts.length - 1;
    return { kind: greedy ? "greedy" : "param", name };
  });
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Static segments win over parameters, parameters over catch-alls (chi's precedence). */
function rank(route: Route): number[] {
  return route.segments.map((segment) => (segment.kind === "static" ? 0 : segment.kind === "param" ? 1 : 2));
}

function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return a.length < b.length;
}

/** The Gitea 1.22 Swagger document, compiled for matching requests and checking parameters. */
export class GiteaSpec {
  readonly basePath: string;
  readonly version: string;
  readonly definitions: Readonly<Record<string, Schema>>;
  /** Query parameters every operation accepts: the deprecated token/access_token and sudo. */
  readonly globalQuery: ReadonlySet<string>;
  readonly #routes: Route[];
  readonly #responses: RawSpec["responses"];

  constructor(raw: RawSpec) {
    this.basePath = raw.basePath;
    this.version = raw.info.version;
    this.definitions = raw.definitions;
    this.#responses = raw.responses;
    this.globalQuery = new Set(
      Object.values(raw.securityDefinitions)
        .filter((each) => each.in === "query" && each.name)
        .map((each) => each.name as string),
    );
    this.#routes = Object.entries(raw.paths).map(([template, item]) => {
      const operations = new Map<string, SpecOperation>();
      for (const [method, operation] of Object.entries(item)) {
        const upper = method.toUpperCase();
        operations.set(upper, {
          ...operation,
          method: upper,
          template,
          parameters: operation.parameters ?? [],
        });
      }
      return { template, segments: compile(template), operations };
    });
  }

  get operationCount(): number {
    return this.#routes.reduce((sum, route) => sum + route.operations.size, 0);
  }

  /** Matches a path below basePath (raw, still percent-encoded) against the spec's templates. */
  match(path: string): RouteMatch | undefined {
    const parts = path.split("/").slice(1);
    let best: { route: Route; params: Record<string, string>; rank: number[] } | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      const routeRank = rank(route);
      if (!best || before(routeRank, best.rank)) best = { route, params, rank: routeRank };
    }
    if (!best) return undefined;
    return { template: best.route.template, params: best.params, operations: best.route.operations };
  }

  operation(method: string, template: string): SpecOperation | undefined {
    return this.#routes.find((route) => route.template === template)?.operations.get(method.toUpperCase());
  }

  /** Follows a local `#/definitions/…` or `#/responses/…` reference. */
  resolve(ref: string): Schema {
    const definition = /^#\/definitions\/(.+)$/.exec(ref)?.[1];
    const found = definition === undefined ? undefined : this.definitions[definition];
    if (!found) throw new Error(`the Gitea schema has no ${ref}`);
    return found;
  }

  /** The body schema the spec documents for a status of an operation (undefined: no body). */
  responseSchema(operation: SpecOperation, status: number): Schema | undefined {
    const entry = operation.responses[String(status)];
    if (!entry) return undefined;
    if (entry.schema) return entry.schema;
    const name = entry.$ref ? /^#\/responses\/(.+)$/.exec(entry.$ref)?.[1] : undefined;
    return name === undefined ? undefined : this.#responses[name]?.schema;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i];
    const part = parts[i];
    if (segment === undefined || part === undefined) return undefined;
    if (segment.kind === "greedy") {
      const rest = parts.slice(i);
      if (rest.some((each) => each === "")) return undefined;
      params[segment.name] = rest.map(decode).join("/");
      return params;
    }
    if (part === "") return undefined;
    if (segment.kind === "static") {
      if (segment.text !== part) return undefined;
    } else {
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

export { specsDir };

export const GITEA_SPEC_FILE = "gitea-api-v1.22.json";

/** Reads and compiles the schema once per file and process. */
export const loadGiteaSpec: (dir?: string) => Promise<GiteaSpec> = specLoader(
  GITEA_SPEC_FILE,
  "the Gitea stand-in",
  "Gitea API schema",
  (text) => new GiteaSpec(JSON.parse(text) as RawSpec),
);
