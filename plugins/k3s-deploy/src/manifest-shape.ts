/**
 * What a Kubernetes object read from the workspace looks like, and what makes one unusable:
 * the lowest of the manifest modules, so the reader and the loader both build on it.
 */

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

export interface LoadedManifest {
  object: Manifest;
  /** `deploy/k8s/web.yaml#2`, for messages. */
  source: string;
}

export interface LoadedManifests {
  manifests: LoadedManifest[];
  problems: string[];
}

export function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || Array.isArray(value)) return "is not a Kubernetes object (a YAML mapping)";
  const object = value as Record<string, unknown>;
  const missing = ["apiVersion", "kind"].filter(
    (key) => typeof object[key] !== "string" || object[key] === "",
  );
  const metadata = object.metadata as Record<string, unknown> | undefined;
  if (typeof metadata?.name !== "string" || metadata.name === "") missing.push("metadata.name");
  if (object.kind === "List") return "a List is not supported; write the items as separate documents";
  return missing.length > 0 ? `has no ${missing.join(", ")}` : undefined;
}
