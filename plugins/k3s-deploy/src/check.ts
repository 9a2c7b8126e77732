import { contextVars, errorMessage, type SettingProblem, type SettingsCheck, slug } from "@hangar/kit";
import { caCertificate, inlineKubeconfigFiles, kubeconfigProblem, kubeconfigText } from "./access.ts";
import { loadManifests } from "./manifests.ts";
import { isClusterScoped } from "./scope.ts";
import type { Context, K3sDeploySchema, Settings } from "./settings.ts";

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
    // Items must be names: String() of a deeply nested array would overflow the stack.
    const list = Array.isArray(vars)
      ? vars.every((item) => typeof item === "string")
        ? vars
        : undefined
      : typeof vars === "string"
        ? vars.split(",")
        : undefined;
    if (!list) return { value: {}, problem: `the value of "${name}" must be a list of variable names` };
    value[name] = list.map((each) => each.trim()).filter(Boolean);
  }
  return { value };
}

export function templateVars(settings: Partial<Settings>, context: Context) {
  return { ...contextVars(context.build), namespace: settings.namespace, ...(settings.vars ?? {}) };
}

/** Everything wrong with the settings, found before any API call. */
export const checkSettings: SettingsCheck<K3sDeploySchema> = async (settings, context) => {
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
    const text = kubeconfigText(settings.kubeconfig);
    const issue = kubeconfigProblem(text, settings.context);
    if (issue) problems.push(problem("kubeconfig", "E_SETTING_INVALID", issue));
    else
      await inlineKubeconfigFiles(build.workspace, text).catch((error: unknown) => {
        problems.push(
          problem("kubeconfig", "E_SETTING_INVALID", errorMessage(error).replace(/^kubeconfig: /, "")),
        );
      });
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
      const loaded = await loadManifests(build, settings.manifests, templateVars(settings, context));
      for (const issue of loaded.problems) problems.push(problem("manifests", "E_MANIFEST", issue));
      for (const { object, source } of loaded.manifests) {
        const ns = object.metadata.namespace;
        const own = object.kind === "Namespace" && object.metadata.name === settings.namespace;
        if (isClusterScoped(object.kind) && !own && !settings.allow_cluster_scoped)
          problems.push(
            problem(
              "manifests",
              "E_MANIFEST_CLUSTER_SCOPED",
              `${source}: ${object.kind}/${object.metadata.name} is cluster-scoped; a deploy changes only its namespace unless \`allow_cluster_scoped: true\``,
            ),
          );
        if (ns !== undefined && ns !== settings.namespace && !isClusterScoped(object.kind))
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
};
