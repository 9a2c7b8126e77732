import {
  contextVars,
  errorMessage,
  type PlanContext,
  type SettingProblem,
  type SettingsOf,
  slug,
} from "@hangar/kit";
import {
  type Access,
  caCertificate,
  kubeconfigProblem,
  kubeconfigServer,
  kubeconfigText,
  maskKubeconfig,
} from "./access.ts";
import {
  applyOrder,
  type LoadedManifest,
  loadManifests,
  type Manifest,
  overrideImages,
} from "./manifests.ts";
import type { K3sDeploySchema } from "./settings.ts";

type Settings = SettingsOf<K3sDeploySchema>;
type Context = PlanContext<K3sDeploySchema>;

export const MANAGED_BY = "app.kubernetes.io/managed-by";
export const DEPLOYMENT_LABEL = "hangar.dev/deployment";

/** Kinds that live outside namespaces: hangar sets no namespace on them and never prunes them. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "IngressClass",
  "PriorityClass",
]);

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
}

/** `secrets` as given: `{ "name": ["VAR", …] }` (a list may also be comma-joined text). */
export function parseSecrets(raw: string | undefined): { value: Record<string, string[]>; problem?: string } {
  if (raw === undefined || raw.trim() === "") return { value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {
      value: {},
      problem: 'must be a map of Secret names to lists of variable names, e.g. {"db": ["MONGO_PASSWORD"]}',
    };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    return { value: {}, problem: "must be a map of Secret names to lists of variable names" };
  const value: Record<string, string[]> = {};
  for (const [name, vars] of Object.entries(parsed)) {
    const list = Array.isArray(vars)
      ? vars.map(String)
      : typeof vars === "string"
        ? vars.split(",")
        : undefined;
    if (!list) return { value: {}, problem: `the value of "${name}" must be a list of variable names` };
    value[name] = list.map((each) => each.trim()).filter(Boolean);
  }
  return { value };
}

function templateVars(settings: Partial<Settings>, context: Context) {
  return { ...contextVars(context.build), namespace: settings.namespace, ...(settings.vars ?? {}) };
}

/** Everything wrong with the settings, found before any API call. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem, build, env } = context;
  const problems: SettingProblem[] = [];
  const viaToken = settings.server !== undefined || settings.token !== undefined;
  if (settings.kubeconfig !== undefined && viaToken) {
    problems.push(
      problem(
        "kubeconfig",
        "E_SETTING_CONFLICT",
        "and `server`/`token` are two ways to reach the cluster; give one",
      ),
    );
  } else if (settings.kubeconfig !== undefined) {
    const issue = kubeconfigProblem(kubeconfigText(settings.kubeconfig), settings.context);
    if (issue) problems.push(problem("kubeconfig", "E_SETTING_INVALID", issue));
  } else if (!viaToken) {
    problems.push(
      problem(
        "kubeconfig",
        "E_SETTING_REQUIRED",
        "or `server` with `token` is required to reach the cluster",
      ),
    );
  } else {
    if (settings.server === undefined)
      problems.push(problem("server", "E_SETTING_REQUIRED", "is required with `token`"));
    if (settings.token === undefined)
      problems.push(problem("token", "E_SETTING_REQUIRED", "is required with `server`"));
  }
  if (settings.ca_cert !== undefined) {
    try {
      await caCertificate(build.workspace, settings.ca_cert);
    } catch (error) {
      problems.push(
        problem("ca_cert", "E_SETTING_INVALID", errorMessage(error), settings.ca_cert.slice(0, 40)),
      );
    }
  }
  if (settings.action === "deploy" || settings.action === undefined) {
    if (!settings.manifests?.length && !settings.secrets) {
      problems.push(
        problem("manifests", "E_SETTING_REQUIRED", "is required to deploy (files, globs or directories)"),
      );
    } else if (settings.manifests?.length && settings.namespace !== undefined) {
      const loaded = await loadManifests(
        build.workspace,
        settings.manifests,
        templateVars(settings, context),
      );
      for (const issue of loaded.problems) problems.push(problem("manifests", "E_MANIFEST", issue));
      for (const { object, source } of loaded.manifests) {
        const ns = object.metadata.namespace;
        if (ns !== undefined && ns !== settings.namespace && !CLUSTER_SCOPED.has(object.kind))
          problems.push(
            problem(
              "manifests",
              "E_MANIFEST_NAMESPACE",
              `${source}: ${object.kind}/${object.metadata.name} names namespace "${ns}", not "${settings.namespace}"; leave it out`,
            ),
          );
      }
    }
    const secrets = parseSecrets(settings.secrets);
    if (secrets.problem) problems.push(problem("secrets", "E_SETTING_MAP", secrets.problem));
    for (const [name, vars] of Object.entries(secrets.value)) {
      const missing = vars.filter((each) => env[each] === undefined);
      if (missing.length > 0)
        problems.push(
          problem(
            "secrets",
            "E_SECRET_ENV",
            `Secret "${name}" needs ${missing.join(", ")}, not set in the step's environment (add them under \`environment:\` with from_secret)`,
          ),
        );
      if (slug(name) !== name)
        problems.push(problem("secrets", "E_SETTING_INVALID", `"${name}" is not a valid Secret name`));
    }
  }
  return problems;
}

function withMetadata(
  object: Manifest,
  namespace: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): Manifest {
  const metadata = { ...object.metadata };
  if (!CLUSTER_SCOPED.has(object.kind)) metadata.namespace = namespace;
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
        yaml: kubeconfigText(settings.kubeconfig),
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
    ...(build.build.link ? { "hangar.dev/build": build.build.link } : {}),
  };

  const loaded: LoadedManifest[] =
    settings.action === "deploy" && settings.manifests?.length
      ? (await loadManifests(build.workspace, settings.manifests, templateVars(settings, context))).manifests
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
  };
}

export const objectName = (object: Manifest) => `${object.kind}/${object.metadata.name}`;

/** What dry_run prints; Secret data is never shown, only its keys. */
export function describePlan(plan: DeployPlan): string {
  const lines = [
    `${plan.action === "delete" ? "delete namespace" : "deploy to namespace"} ${plan.namespace} on ${plan.access.server}`,
  ];
  if (plan.action === "delete") {
    lines.push(
      `refuses a namespace hangar did not create${plan.force ? " (force: deletes it anyway)" : ""}; waits up to ${plan.timeoutMs / 1000}s`,
    );
    return lines.join("\n");
  }
  lines.push(
    `apply:    server-side, field manager "${plan.fieldManager}", forced on conflicts${plan.serverDryRun ? ", with the API's dry run" : ""}`,
    `labels:   ${Object.entries(plan.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
  );
  plan.objects.forEach((object, index) => {
    const keys =
      object.kind === "Secret" && object.data
        ? ` (keys: ${Object.keys(object.data as object).join(", ")})`
        : "";
    lines.push(`object:   ${objectName(object)}${keys}  ← ${plan.sources[index]}`);
  });
  for (const replaced of plan.replacedImages) lines.push(`image:    overridden in ${replaced}`);
  lines.push(
    `prune:    ${plan.prune ? `objects labelled ${DEPLOYMENT_LABEL}=${plan.deploymentId} that are not above` : "off"}`,
  );
  lines.push(
    `wait:     ${plan.wait ? `for every workload to roll out, at most ${plan.timeoutMs / 1000}s` : "off"}`,
  );
  if (plan.url) lines.push(`url:      ${plan.url}`);
  if (plan.access.kind === "token" && plan.access.insecure)
    lines.push("tls:      certificate NOT verified (insecure)");
  return lines.join("\n");
}
