import { slug } from "@hangar/kit";
import {
  type Access,
  caCertificate,
  inlineKubeconfigFiles,
  kubeconfigServer,
  kubeconfigText,
  maskKubeconfig,
} from "./access.ts";
import { parseSecrets, templateVars } from "./check.ts";
import type { LoadedManifest, Manifest } from "./manifest-shape.ts";
import { applyOrder, loadManifests, overrideImages } from "./manifests.ts";
import { isClusterScoped } from "./scope.ts";
import type { Context, Settings } from "./settings.ts";

export const MANAGED_BY = "app.kubernetes.io/managed-by";
export const DEPLOYMENT_LABEL = "hangar.dev/deployment";
/** The build that applied an object (its number), and its commit: what runs, read back. */
export const BUILD_ANNOTATION = "hangar.dev/build";
export const COMMIT_ANNOTATION = "hangar.dev/commit";

/** Deliberate redeploys of an older build (Drone: promote, rollback; Woodpecker: deployment). */
const REDEPLOY_EVENTS = new Set(["promote", "rollback", "deployment"]);

export interface DeployPlan {
  action: Settings["action"];
  access: Access;
  namespace: string;
  createNamespace: boolean;
  force: boolean;
  fieldManager: string;
  prune: boolean;
  wait: boolean;
  timeoutMs: number;
  url: string | undefined;
  serverDryRun: boolean;
  /** The label value that marks this deployment's objects (for pruning). */
  deploymentId: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** In apply order; the namespace first when hangar creates it. */
  objects: Manifest[];
  /** Where each object came from (`deploy/k8s/web.yaml#1`, `secrets`). */
  sources: string[];
  replacedImages: string[];
  /** This build's number (0 when the CI gives none) and commit. */
  build: number;
  commit: string;
  /** Why an older build may replace a newer one (`promote`, `force`), or undefined. */
  override: string | undefined;
  allowClusterScoped: boolean;
}

function withMetadata(
  object: Manifest,
  namespace: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): Manifest {
  const metadata = { ...object.metadata };
  if (!isClusterScoped(object.kind)) metadata.namespace = namespace;
  metadata.labels = { ...((metadata.labels as Record<string, string>) ?? {}), ...labels };
  const merged = { ...((metadata.annotations as Record<string, string>) ?? {}), ...annotations };
  if (Object.keys(merged).length > 0) metadata.annotations = merged;
  return { ...object, metadata };
}

export async function planDeploy(settings: Settings, context: Context): Promise<DeployPlan> {
  const { build, env, log } = context;
  const access: Access = settings.kubeconfig
    ? {
        kind: "kubeconfig",
        yaml: await inlineKubeconfigFiles(build.workspace, kubeconfigText(settings.kubeconfig)),
        context: settings.context,
        server: kubeconfigServer(kubeconfigText(settings.kubeconfig), settings.context),
      }
    : {
        kind: "token",
        server: settings.server ?? "",
        token: settings.token ?? "",
        ca: settings.ca_cert ? await caCertificate(build.workspace, settings.ca_cert) : undefined,
        insecure: settings.insecure,
      };
  if (access.kind === "kubeconfig") maskKubeconfig(access.yaml, log.mask);
  if (settings.insecure)
    log.warn(
      "insecure is on: the API server's certificate is not checked, so the credentials could go to an impostor",
    );

  const namespace = settings.namespace;
  const deploymentId = slug(`${build.repo.fullName || "build"}-${namespace}`);
  const labels: Record<string, string> = {
    ...settings.labels,
    [MANAGED_BY]: "hangar",
    [DEPLOYMENT_LABEL]: deploymentId,
    ...(build.repo.fullName ? { "hangar.dev/repo": slug(build.repo.fullName) } : {}),
    ...(build.commit.branch ? { "hangar.dev/branch": slug(build.commit.branch) } : {}),
    ...(build.commit.sha ? { "hangar.dev/commit": build.commit.sha.slice(0, 40) } : {}),
  };
  const annotations = {
    ...settings.annotations,
    ...(build.build.number ? { [BUILD_ANNOTATION]: String(build.build.number) } : {}),
    ...(build.commit.sha ? { [COMMIT_ANNOTATION]: build.commit.sha } : {}),
    ...(build.build.link ? { "hangar.dev/build-link": build.build.link } : {}),
  };

  const loaded: LoadedManifest[] =
    settings.action === "deploy" && settings.manifests?.length
      ? (await loadManifests(build, settings.manifests, templateVars(settings, context))).manifests
      : [];
  const overrides = new Map(
    settings.images.map((each) => {
      const [name = "", image = ""] = each.split("=");
      return [name, image] as const;
    }),
  );
  const replaced = loaded.flatMap(({ object }) => overrideImages(object, overrides));
  const replacedImages = replaced.map((each) => each.where);
  const used = new Set(replaced.map((each) => each.override));
  for (const name of overrides.keys())
    if (!used.has(name)) log.warn(`images: no container uses an image named "${name}"`);

  const secretObjects: LoadedManifest[] = Object.entries(parseSecrets(settings.secrets).value).map(
    ([name, vars]) => {
      const data: Record<string, string> = {};
      for (const each of vars) {
        const value = env[each] ?? "";
        log.mask.add(value);
        data[each] = Buffer.from(value).toString("base64");
      }
      return {
        object: { apiVersion: "v1", kind: "Secret", metadata: { name }, type: "Opaque", data },
        source: "secrets",
      };
    },
  );

  const all = [...secretObjects, ...loaded].filter(
    ({ object }) => !(object.kind === "Namespace" && object.metadata.name === namespace),
  );
  all.sort((a, b) => applyOrder(a.object.kind) - applyOrder(b.object.kind));
  const namespaceObject: LoadedManifest[] =
    settings.action === "deploy" && settings.create_namespace
      ? [
          {
            object: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
            source: "namespace",
          },
        ]
      : [];
  const ordered = [...namespaceObject, ...all];

  return {
    action: settings.action,
    access,
    namespace,
    createNamespace: settings.create_namespace,
    force: settings.force,
    fieldManager: settings.field_manager,
    prune: settings.prune,
    wait: settings.wait,
    timeoutMs: settings.timeout,
    url: settings.url,
    serverDryRun: settings.dry_run === "server",
    deploymentId,
    labels,
    annotations,
    objects: ordered.map(({ object }) => withMetadata(object, namespace, labels, annotations)),
    sources: ordered.map(({ source }) => source),
    replacedImages,
    build: Number(build.build.number) || 0,
    commit: build.commit.sha ?? "",
    override: REDEPLOY_EVENTS.has(build.build.event ?? "")
      ? `the build event is ${build.build.event}`
      : settings.force
        ? "force is on"
        : undefined,
    allowClusterScoped: settings.allow_cluster_scoped,
  };
}

export const objectName = (object: Manifest) => `${object.kind}/${object.metadata.name}`;
