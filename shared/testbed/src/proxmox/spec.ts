import { specLoader } from "../spec-file.ts";
import { checkValue, type ParameterSchema } from "./formats.ts";

/**
 * The Proxmox VE API schema as the API viewer has it (shared/testbed/specs/proxmox-ve-api.json):
 * a tree of nodes with `path`, `children` and `info[METHOD].parameters.properties`. The stand-in
 * checks every request's parameters against it the way pve-api-daemon's JSONSchema does, with
 * the same messages, so a client that gets past the stand-in gets past a real node.
 */

export interface ApiMethod {
  method: string;
  path: string;
  name: string;
  allowtoken: boolean;
  protected: boolean;
  properties: Record<string, ParameterSchema>;
  additionalProperties: boolean;
}

interface RawNode {
  path: string;
  children?: RawNode[];
  info?: Record<
    string,
    {
      name: string;
      allowtoken?: number;
      protected?: number;
      parameters?: { properties?: Record<string, ParameterSchema>; additionalProperties?: number };
    }
  >;
}

interface Route {
  path: string;
  segments: string[];
  methods: Map<string, ApiMethod>;
}

export interface Matched {
  path: string;
  params: Record<string, string>;
  methods: ReadonlyMap<string, ApiMethod>;
}

export class ProxmoxSpec {
  readonly #routes: Route[] = [];

  constructor(tree: RawNode[]) {
    const visit = (node: RawNode) => {
      const methods = new Map<string, ApiMethod>();
      for (const [method, info] of Object.entries(node.info ?? {})) {
        methods.set(method, {
          method,
          path: node.path,
          name: info.name,
          allowtoken: info.allowtoken !== 0,
          protected: info.protected === 1,
          properties: info.parameters?.properties ?? {},
          additionalProperties: info.parameters?.additionalProperties === 1,
        });
      }
      this.#routes.push({ path: node.path, segments: node.path.split("/").slice(1), methods });
      for (const child of node.children ?? []) visit(child);
    };
    for (const root of tree) visit(root);
  }

  get routeCount(): number {
    return this.#routes.length;
  }

  /** The route of a path below /api2/json; static segments win over `{param}` ones. */
  match(path: string): Matched | undefined {
    const parts = path.split("/").slice(1);
    let best: { route: Route; params: Record<string, string>; score: number } | undefined;
    for (const route of this.#routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      route.segments.forEach((segment, index) => {
        const part = parts[index] ?? "";
        const name = /^\{(.+)\}$/.exec(segment)?.[1];
        if (name !== undefined) {
          if (part === "") ok = false;
          params[name] = safeDecode(part);
        } else if (segment === part) score++;
        else ok = false;
      });
      if (ok && (!best || score > best.score)) best = { route, params, score };
    }
    return best && { path: best.route.path, params: best.params, methods: best.route.methods };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `net0` is declared as `net[n]`. */
function propertyFor(method: ApiMethod, name: string): ParameterSchema | undefined {
  const direct = method.properties[name];
  if (direct) return direct;
  const indexed = /^([a-z]+)(\d+)$/.exec(name);
  return indexed ? method.properties[`${indexed[1]}[n]`] : undefined;
}

/**
 * Checks request parameters (path, query and form merged, as pve-api-daemon does) and returns
 * Proxmox's `errors` map: parameter name → message. Empty when the request may proceed.
 */
export function verifyParameters(method: ApiMethod, params: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const schema = propertyFor(method, name);
    if (!schema) {
      if (!method.additionalProperties)
        errors[name] =
          "property is not defined in schema and the schema does not allow additional properties";
      continue;
    }
    const problem = checkValue(schema, value);
    if (problem) errors[name] = problem;
  }
  for (const [name, schema] of Object.entries(method.properties)) {
    if (name.includes("[n]") || schema.optional === 1) continue;
    if (params[name] === undefined && errors[name] === undefined)
      errors[name] = "property is missing and it is not optional";
  }
  return errors;
}

export const PROXMOX_SPEC_FILE = "proxmox-ve-api.json";

/** Reads the repository's copy of the schema once per process. */
export const loadProxmoxSpec: (dir?: string) => Promise<ProxmoxSpec> = specLoader(
  PROXMOX_SPEC_FILE,
  "the Proxmox VE stand-in",
  "Proxmox VE API schema",
  (text) => new ProxmoxSpec(JSON.parse(text) as RawNode[]),
);
