import type { BuildContext } from "@hangar/kit";
import { parseManifestFiles } from "./manifest-parse.ts";
import type { LoadedManifests, Manifest } from "./manifest-shape.ts";
import type { Vars } from "./render.ts";

/**
 * Manifests from the workspace: files, globs and directories, multi-document YAML, `{{ }}`
 * placeholders rendered into the parsed values, image overrides and hangar's labels applied, in
 * the order the objects must reach the API server.
 */

/**
 * Check and plan need the same manifests: they are read and parsed once per run (the build
 * context is the run's own object), and each caller gets its own copy to change.
 */
const loadedPerRun = new WeakMap<BuildContext, Map<string, Promise<LoadedManifests>>>();

export async function loadManifests(
  build: BuildContext,
  entries: readonly string[],
  vars: Vars,
): Promise<LoadedManifests> {
  const cache = loadedPerRun.get(build) ?? new Map<string, Promise<LoadedManifests>>();
  loadedPerRun.set(build, cache);
  const key = JSON.stringify([entries, vars]);
  let loading = cache.get(key);
  if (!loading) {
    loading = parseManifestFiles(build.workspace, entries, vars);
    cache.set(key, loading);
  }
  return structuredClone(await loading);
}

/** Objects in the order the API server needs them: what others depend on comes first. */
const ORDER = [
  "Namespace",
  "CustomResourceDefinition",
  "ServiceAccount",
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Service",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "Ingress",
];

export function applyOrder(kind: string): number {
  const index = ORDER.indexOf(kind);
  return index === -1 ? ORDER.indexOf("Job") + 0.5 : index;
}

export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

/** The repository path of an image, without tag or digest: `registry:5000/team/app:1` → `registry:5000/team/app`. */
export function imageName(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

interface ContainerLike {
  name?: string;
  image?: unknown;
}
interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
}
/** Where pod templates sit: a workload's `spec.template`, a CronJob's `spec.jobTemplate`. */
interface ManifestSpec {
  template?: { spec?: PodSpecLike };
  jobTemplate?: { spec?: { template?: { spec?: PodSpecLike } } };
}

/** Replaces the image of every container (and init container) whose image name matches an override. */
export function overrideImages(
  object: Manifest,
  overrides: ReadonlyMap<string, string>,
): { where: string; override: string }[] {
  const replaced: { where: string; override: string }[] = [];
  const spec = object.spec as ManifestSpec | undefined;
  const podSpecs: (PodSpecLike | undefined)[] = [
    object.kind === "Pod" ? (spec as PodSpecLike | undefined) : undefined,
    spec?.template?.spec,
    spec?.jobTemplate?.spec?.template?.spec,
  ];
  for (const podSpec of podSpecs) {
    for (const list of [podSpec?.containers, podSpec?.initContainers]) {
      if (!Array.isArray(list)) continue;
      for (const container of list) {
        if (typeof container?.image !== "string") continue;
        const name = imageName(container.image);
        const key = overrides.has(name) ? name : (name.split("/").at(-1) ?? name);
        const override = overrides.get(key);
        if (override) {
          container.image = override;
          replaced.push({ where: `${object.kind}/${object.metadata.name} ${container.name}`, override: key });
        }
      }
    }
  }
  return replaced;
}
