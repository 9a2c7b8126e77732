import type { PluginDefinition, RunResult } from "@hangar/kit";
import { checkSettings } from "./check.ts";
import { describePlan } from "./describe.ts";
import { type DeployPlan, objectName, planDeploy } from "./plan.ts";
import { type K3sDeploySchema, k3sDeploySettings } from "./settings.ts";

export const k3sDeploy: PluginDefinition<K3sDeploySchema, DeployPlan> = {
  name: "k3s-deploy",
  description: "Apply manifests into a (per-branch) k3s namespace, wait for the rollout, tear it down.",
  settings: k3sDeploySettings,
  check: checkSettings,
  plan: planDeploy,
  describe: describePlan,
  // `client` stops after the rendered plan; `server` goes on, with the API's dry run.
  dryRun: (settings) => settings.dry_run === "client" || settings.dry_run === "true",

  async run(plan, { log, signal }): Promise<RunResult> {
    // The API client is most of the bundle: loaded, with what deploys and tears down, only when the
    // cluster is reached, so a client dry run and a settings error stay quick.
    const [{ Cluster, kubeConfigFor }, { deploy }, { teardown }] = await Promise.all([
      import("./cluster.ts"),
      import("./deploy.ts"),
      import("./teardown.ts"),
    ]);
    // Every request: at most `timeout`, and not past a cancel.
    const cluster = new Cluster(kubeConfigFor(plan.access), log, { signal, timeoutMs: plan.timeoutMs });
    if (plan.action === "delete") {
      const { existed } = await teardown(plan, cluster, log, signal);
      return {
        summary: existed
          ? `namespace ${plan.namespace} deleted`
          : `namespace ${plan.namespace} was already gone`,
        outputs: { namespace: plan.namespace },
        card: {
          title: `Namespace ${plan.namespace} deleted`,
          status: "success",
          facts: [{ name: "Namespace", value: existed ? "deleted" : "did not exist" }],
        },
      };
    }
    const outcome = await deploy(plan, cluster, log, signal);
    const objects = outcome.applied.map(({ object }) => objectName(object as never));
    const running = [
      ...(outcome.running.build !== undefined
        ? [{ name: "Build", value: String(outcome.running.build) }]
        : []),
      ...(outcome.running.commit ? [{ name: "Commit", value: outcome.running.commit.slice(0, 12) }] : []),
    ];
    const outputs = {
      namespace: plan.namespace,
      ...(plan.url ? { url: plan.url } : {}),
      objects: objects.join(","),
      ...(outcome.running.build !== undefined ? { build: String(outcome.running.build) } : {}),
      ...(outcome.running.commit ? { commit: outcome.running.commit } : {}),
    };
    if (outcome.skipped)
      return {
        summary: outcome.skipped,
        outputs,
        card: {
          title: `Skipped: build ${outcome.running.build} runs in ${plan.namespace}`,
          status: "success",
          facts: [
            { name: "Namespace", value: plan.namespace },
            ...running,
            { name: "This build", value: String(plan.build) },
          ],
        },
      };
    const facts = [
      { name: "Namespace", value: plan.namespace },
      ...running,
      ...outcome.applied.map(({ object, state }) => ({
        name: `${object.kind}/${object.metadata?.name}`,
        value: state,
      })),
      ...outcome.pruned.map((name) => ({ name, value: "pruned" })),
    ];
    return {
      ok: outcome.ok,
      summary: outcome.ok
        ? `${plan.serverDryRun ? "dry run: " : ""}${objects.length} objects applied to ${plan.namespace}${outcome.pruned.length ? `, ${outcome.pruned.length} pruned` : ""}${plan.url ? ` — ${plan.url}` : ""}`
        : `the rollout in ${plan.namespace} failed: ${outcome.failures.join("; ")}`,
      outputs,
      card: {
        title: `${plan.serverDryRun ? "Dry run: " : ""}Deploy to ${plan.namespace}`,
        status: outcome.ok ? "success" : "failure",
        facts,
        ...(plan.url ? { links: [{ title: "Preview", url: plan.url }] } : {}),
      },
    };
  },
};
