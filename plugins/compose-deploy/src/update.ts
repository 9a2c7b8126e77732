import type { Logger, RemoteHost } from "@hangar/kit";
import { type ComposeCommand, composeArgv, type StackFiles } from "./compose.ts";
import type { DeployPlan } from "./plan.ts";
import { hostProbe, waitForServices } from "./proof.ts";
import { configHashes, swapService, upWithout } from "./swap.ts";

/**
 * How a release's services replace the ones that run, by `update`. `recreate` is compose's own
 * `up -d`; `rollout` recreates the services that cannot run twice (named in the plan) and rolls
 * out the others one after the other. A deploy and a rollback both come through here, so a
 * rollback of a rollout is a rollout of the previous release.
 */

export interface UpdateOptions {
  plan: DeployPlan;
  compose: ComposeCommand;
  stack: StackFiles;
  dockerConfig: string | undefined;
  /** Every service of this deploy (the named ones, or all the compose files have). */
  services: readonly string[];
  /** The services named in `services`; empty for all. */
  selected: readonly string[];
  cleanup: RemoteHost;
  log: Logger;
  signal?: AbortSignal | undefined;
}

export interface UpdateResult {
  /** `verify_url` named a rolled-out service and was fetched from each of its new containers. */
  verifiedPerContainer: boolean;
  steps: string[];
  /** What each canary did (how long it ran, the probes it passed). */
  canaries: string[];
}

/** `verify_url`'s host, when it is the name of a service that is rolled out. */
export function verifiedService(plan: DeployPlan, rolled: readonly string[]): string | undefined {
  if (!plan.verify) return undefined;
  const host = new URL(plan.verify.url).hostname;
  return rolled.includes(host) ? host : undefined;
}

export async function updateServices(remote: RemoteHost, options: UpdateOptions): Promise<UpdateResult> {
  const { plan, compose, stack, log } = options;
  const orphans = plan.removeOrphans ? ["--remove-orphans"] : [];
  if (!plan.rollout) {
    await remote.exec(
      composeArgv(compose, stack, options.dockerConfig, "up", "-d", ...orphans, ...options.selected),
      {
        stream: true,
      },
    );
    if (plan.wait) {
      await waitForServices(remote, {
        project: stack.project,
        services: options.services,
        timeoutMs: plan.wait.timeoutMs,
        log,
        signal: options.signal,
      });
    }
    return { verifiedPerContainer: false, steps: [], canaries: [] };
  }

  const rolledWays = new Set(
    plan.rollout.ways.filter((way) => way.way === "rollout").map((way) => way.service),
  );
  const rolled = options.services.filter((service) => rolledWays.has(service));
  const recreated = options.services.filter((service) => !rolledWays.has(service));
  const steps: string[] = [];
  const canaries: string[] = [];
  let flags = orphans;
  if (recreated.length > 0) {
    log.section(`${remote.label}: recreating ${recreated.join(", ")} (they cannot be rolled out)`);
    await remote.exec(
      composeArgv(compose, stack, options.dockerConfig, "up", "-d", "--no-deps", ...flags, ...recreated),
      { stream: true },
    );
    flags = [];
    if (plan.wait) {
      await waitForServices(remote, {
        project: stack.project,
        services: recreated,
        timeoutMs: plan.wait.timeoutMs,
        log,
        signal: options.signal,
      });
    }
    steps.push(`${recreated.join(", ")}: recreated`);
  }
  const hashes = rolled.length > 0 ? await configHashes(remote, compose, stack) : new Map<string, string>();
  const checked = verifiedService(plan, rolled);
  let unchanged: { service: string; count: number } | undefined;
  for (const service of rolled) {
    const swapped = await swapService(remote, {
      compose,
      stack,
      dockerConfig: options.dockerConfig,
      service,
      hash: hashes.get(service),
      upFlags: flags,
      waitTimeoutMs: plan.wait?.timeoutMs ?? 120_000,
      drainMs: plan.rollout.drainMs,
      canary: plan.rollout.canary,
      verify: service === checked ? plan.verify : undefined,
      // A new container's address is the host's to reach, whatever `verify_from` says.
      probe: hostProbe(remote),
      cleanup: options.cleanup,
      log,
      signal: options.signal,
    });
    steps.push(swapped.step);
    if (swapped.canary) canaries.push(swapped.canary);
    if (swapped.unchanged === undefined) flags = [];
    else unchanged ??= { service, count: swapped.unchanged };
  }
  if (flags.length > 0 && unchanged) {
    // No `up` ran to take `--remove-orphans`: one that changes nothing else does, asking for the
    // containers that run now and recreating none.
    const { dockerConfig } = options;
    const service = unchanged.service;
    await upWithout(remote, { compose, stack, dockerConfig, service, upFlags: flags }, unchanged.count);
  }
  return { verifiedPerContainer: checked !== undefined, steps, canaries };
}
