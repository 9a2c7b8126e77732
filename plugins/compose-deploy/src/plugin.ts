import {
  type Card,
  Connector,
  HangarError,
  Logger,
  type PluginDefinition,
  type RemoteHost,
  type RunResult,
  remoteJoin,
} from "@hangar/kit";
import { checkSettings } from "./check.ts";
import type { HostOutcome } from "./deploy.ts";
import { describePlan } from "./describe.ts";
import { type DeployPlan, describePromotion, planDeploy } from "./plan.ts";
import type { RolloutResult } from "./rollout.ts";
import type { RunningRelease } from "./running.ts";
import { type ComposeDeploySchema, composeDeploySettings } from "./settings.ts";

export const composeDeploy: PluginDefinition<ComposeDeploySchema, DeployPlan> = {
  name: "compose-deploy",
  description:
    "Ship a Docker Compose stack to hosts over SSH, prove it healthy, and roll back to the previous release when it is not.",
  settings: composeDeploySettings,
  check: checkSettings,
  plan: planDeploy,
  describe: describePlan,

  async run(plan, { log, fetch, signal, cleanupSignal, now }): Promise<RunResult> {
    // What deploys is loaded when a deploy runs, so a dry run or a settings error does not pay for it.
    const [{ deployToHost }, { hostProbe, runnerProbe }, { rollout }] = await Promise.all([
      import("./deploy.ts"),
      import("./proof.ts"),
      import("./rollout.ts"),
    ]);
    const connector = new Connector({
      proxy: plan.proxy,
      connectTimeoutMs: plan.connectTimeoutMs,
      commandTimeoutMs: plan.commandTimeoutMs,
      commandTimeoutHint: "Raise `command_timeout` if the command is just slow (a large pull).",
      log,
      signal,
    });
    const several = plan.hosts.length > 1;
    const probe = plan.verify?.from === "plugin" ? () => runnerProbe(fetch) : hostProbe;
    const releaseDir = remoteJoin(plan.target, "releases", plan.release);
    let result: RolloutResult;
    try {
      result = await rollout(plan.hosts, plan.strategy, async (host) => {
        const hostLog = several ? prefixed(log, host.label) : log;
        hostLog.section(`${host.label}: deploying ${plan.project} release ${plan.release}`);
        let remote: RemoteHost | undefined;
        try {
          remote = await connector.connect({ ...plan.login, address: host }, hostLog);
          return await deployToHost(plan, remote, { log: hostLog, probe, signal, cleanupSignal, now });
        } catch (error) {
          if (signal.aborted || !(error instanceof HangarError)) throw error;
          const hint = error.hint ? `\n  ${error.hint}` : "";
          return {
            host: host.label,
            ok: false,
            releaseDir,
            failure: `${error.message} [${error.code}]${hint}`,
          };
        } finally {
          remote?.close();
        }
      });
    } finally {
      connector.close();
    }

    const { outcomes, skipped } = result;
    const good = outcomes.filter((outcome) => outcome.ok);
    const ok = good.length === plan.hosts.length;
    const verified = good.find((outcome) => outcome.verifiedUrl)?.verifiedUrl;
    const notNewer = outcomes.filter((outcome) => outcome.skipped);
    const promotion = describePromotion(plan.build);
    const summary =
      ok && notNewer.length === outcomes.length
        ? (notNewer[0]?.skipped ?? "skipped")
        : ok
          ? `deployed ${plan.project} release ${plan.release} to ${good.map((outcome) => outcome.host).join(", ")}${verified ? `, verified ${verified}` : ""}${promotion ? ` (${promotion})` : ""}`
          : [
              `the deploy of ${plan.project} release ${plan.release} failed`,
              ...outcomes.filter((outcome) => !outcome.ok).map(describeFailure),
              ...good.map((outcome) => `  ${outcome.host}: ${outcome.skipped ?? "deployed"}`),
              ...skipped.map(
                (host) => `  ${host.label}: not deployed: the rolling deploy stopped at the first failure`,
              ),
            ].join("\n");

    return {
      ok,
      summary,
      outputs: {
        hosts: good
          .filter((outcome) => !outcome.skipped)
          .map((outcome) => outcome.host)
          .join(","),
        project: plan.project,
        release: plan.release,
        release_dir: releaseDir,
        ...(verified ? { verified_url: verified } : {}),
        ...runningOutputs(outcomes),
        ...(notNewer.length > 0 ? { skipped: "true" } : {}),
        ...(ok
          ? {}
          : {
              rolled_back: String(
                outcomes.some((outcome) => /^(cancelled: )?rolled back/.test(outcome.rollback ?? "")),
              ),
            }),
      },
      card: card(
        plan,
        outcomes,
        skipped.map((host) => host.label),
        ok,
      ),
    };
  },
};

/**
 * What runs at the end, read back from each host's `current` and its manifest (not what this
 * step meant to deploy): one value when every host agrees, `host=value` pairs when not.
 */
function runningOutputs(outcomes: readonly HostOutcome[]): Record<string, string> {
  const known = outcomes.filter((outcome) => outcome.running);
  if (known.length === 0) return {};
  const field = (pick: (outcome: HostOutcome) => string | number | undefined) => {
    const values = known.map((outcome) => String(pick(outcome) ?? ""));
    return new Set(values).size === 1
      ? (values[0] ?? "")
      : known.map((outcome, index) => `${outcome.host}=${values[index]}`).join(",");
  };
  return {
    running_release: field((outcome) => outcome.running?.release),
    running_build: field((outcome) => outcome.running?.build),
    running_commit: field((outcome) => outcome.running?.commit),
  };
}

function describeRunning(running: RunningRelease): string {
  const about = [
    running.build !== undefined ? `build ${running.build}` : "",
    running.commit ? `commit ${running.commit.slice(0, 8)}` : "",
  ].filter(Boolean);
  return `${running.release}${about.length > 0 ? ` (${about.join(", ")})` : ""}`;
}

function describeFailure(outcome: HostOutcome): string {
  const rollback = outcome.rollback ? `\n    ${outcome.rollback}` : "";
  return `  ${outcome.host}: ${outcome.failure ?? "failed"}${rollback}`;
}

function card(
  plan: DeployPlan,
  outcomes: readonly HostOutcome[],
  skipped: readonly string[],
  ok: boolean,
): Card {
  const hostFacts = outcomes.map((outcome) => {
    const running = outcome.running ? `; runs ${describeRunning(outcome.running)}` : "";
    const what = outcome.ok ? (outcome.skipped ?? "deployed") : (outcome.rollback ?? "failed");
    return { name: outcome.host, value: `${what}${running}` };
  });
  const compose = outcomes.find((outcome) => outcome.compose)?.compose;
  const promotion = describePromotion(plan.build);
  const verified = outcomes.find((outcome) => outcome.verifiedUrl)?.verifiedUrl;
  return {
    title: `Deploy ${plan.project} ${plan.release}`,
    status: ok ? "success" : "failure",
    facts: [
      { name: "Release", value: remoteJoin(plan.target, "releases", plan.release) },
      ...(promotion ? [{ name: "Promotion", value: promotion }] : []),
      ...hostFacts,
      ...skipped.map((host) => ({ name: host, value: "not deployed" })),
      ...outcomes
        .filter((outcome) => outcome.canary)
        .map((outcome) => ({
          name: outcomes.length > 1 ? `Canary on ${outcome.host}` : "Canary",
          value: outcome.canary ?? "",
        })),
      ...(compose ? [{ name: "Compose", value: compose }] : []),
    ],
    ...(verified ? { links: [{ title: "Verified URL", url: verified }] } : {}),
  };
}

/** With several hosts, each line says which host it is about (parallel deploys interleave). */
function prefixed(log: Logger, label: string): Logger {
  const stream = (name: "stdout" | "stderr") => ({
    write: (chunk: string) => log.raw(chunk.replace(/^(?=.)/gm, `[${label}] `), name),
  });
  return new Logger(
    { stdout: stream("stdout"), stderr: stream("stderr") },
    { mask: log.mask, debug: log.debugEnabled },
  );
}
