import type { RemoteHost } from "@hangar/kit";
import { errorMessage, type Logger, remoteJoin } from "@hangar/kit";
import { acquireLock } from "./lock.ts";
import type { DeployPlan } from "./plan.ts";
import { prepare, showFailure, stackIn, upload } from "./prepare.ts";
import { type HttpProbe, ProofFailed, verifyUrl } from "./proof.ts";
import {
  finishRelease,
  type HostState,
  hostStateScript,
  listReleases,
  parentDirs,
  parseHostState,
  type ReleaseLayout,
  readManifest,
  releaseLayout,
  releasesToPrune,
  removeDockerConfig,
  removeRelease,
} from "./release.ts";
import { rollBack } from "./rollback.ts";
import {
  buildOf,
  type RunningRelease,
  readRunning,
  reportStaleConfigs,
  runningOf,
  staleConfigsScript,
} from "./running.ts";
import { NewContainersFailed } from "./swap.ts";
import { updateServices } from "./update.ts";

/** What happened on one host. */
export interface HostOutcome {
  host: string;
  ok: boolean;
  /** The release directory on the host. */
  releaseDir: string;
  compose?: string | undefined;
  verifiedUrl?: string | undefined;
  /** `update: rollout` with `canary`: how long each canary ran and the probes it passed. */
  canary?: string | undefined;
  /** Why the deploy failed, and what was done about it. */
  failure?: string | undefined;
  rollback?: string | undefined;
  /** Why nothing was deployed: a newer build runs there (`skipped: build 3 is deployed, …`). */
  skipped?: string | undefined;
  pruned?: string[] | undefined;
  /** What `current` names at the end, read back from the host. */
  running?: RunningRelease | undefined;
}

export interface DeployDeps {
  log: Logger;
  /** How `verify_url` is fetched: on the host or from the runner. */
  probe: (remote: RemoteHost) => HttpProbe;
  /** Aborted by a cancel: nothing new starts. */
  signal?: AbortSignal | undefined;
  /** Aborted when the grace period after a cancel runs out: what the rollback runs under. */
  cleanupSignal: AbortSignal;
  now: () => Date;
}

/**
 * One host, on one connection, holding the target's lock from the first look at the host to
 * the last word about it: a second build's deploy waits, and then sees what this one left.
 */
export async function deployToHost(
  plan: DeployPlan,
  remote: RemoteHost,
  deps: DeployDeps,
): Promise<HostOutcome> {
  const layout = releaseLayout(plan.target, plan.release);
  const shipped = [...plan.files.map((file) => file.relative), ...(plan.dotenv ? [plan.dotenv.path] : [])];
  // The first look at the host (stale logins removed, `current`, a staging directory) rides on
  // the lock's own round trip, under the lock.
  const lock = await acquireLock(remote, {
    target: plan.target,
    release: plan.release,
    build: plan.build,
    timeoutMs: plan.lockTimeoutMs,
    now: deps.now,
    log: deps.log,
    signal: deps.signal,
    whenHeld: [staleConfigsScript(plan.target), hostStateScript(layout, parentDirs(shipped))].join("\n"),
  });
  const cleanup = remote.withSignal(deps.cleanupSignal);
  try {
    reportStaleConfigs(lock.said, plan.target, deps.log);
    const state = parseHostState(lock.said, remote.label);
    const outcome = await deployLocked(plan, remote, cleanup, deps, layout, state);
    outcome.running ??= await readRunning(cleanup, plan.target).catch(() => undefined);
    return outcome;
  } finally {
    lock.release();
  }
}

/**
 * Upload the release, install it, check and pull, `up`, prove it; then make it current, or show
 * why not and bring the previous release back. A cancel after `up` (SIGTERM while waiting for
 * health) rolls back too, under the clean-up signal, and says so.
 *
 * Throws when the deploy fails before `up` (nothing that runs was changed, and the new release
 * directory is removed again); returns `ok: false` when it failed after, with what the rollback did.
 */
async function deployLocked(
  plan: DeployPlan,
  remote: RemoteHost,
  cleanup: RemoteHost,
  deps: DeployDeps,
  layout: ReleaseLayout,
  state: HostState,
): Promise<HostOutcome> {
  const { log } = deps;
  const { compose } = state;
  const composeName = `${compose.name} ${compose.version}`;
  log.info(`compose on the host: ${composeName}`);
  log.info(
    state.current
      ? `current release: ${state.current}${state.current === layout.name ? " (this one, deployed again)" : ""}`
      : "first deploy to this host: there is no current release",
  );
  const outcome: HostOutcome = {
    host: remote.label,
    ok: false,
    releaseDir: layout.dir,
    compose: composeName,
  };

  const newer = await newerBuildDeployed(plan, remote, state.current, log);
  if (newer) {
    await removeRelease(cleanup, { ...layout, dir: layout.staging });
    log.info(newer);
    return { ...outcome, ok: true, skipped: newer };
  }
  // A re-run of the release that is current goes back to the one before it on failure.
  const rollbackTo = state.current !== layout.name ? state.current : state.previous;

  await upload(plan, remote, layout, compose, log).catch(async (error: unknown) => {
    await removeRelease(cleanup, { ...layout, dir: layout.staging });
    throw error;
  });
  let dockerConfig: string | undefined;
  try {
    const services = await prepare(plan, remote, layout, compose, state, { ...deps, cleanup }, (dir) => {
      dockerConfig = dir;
    });
    const stack = stackIn(plan, layout.dir);
    const selected = plan.services ?? [];
    try {
      const updated = await updateServices(remote, {
        plan,
        compose,
        stack,
        dockerConfig,
        services,
        selected,
        cleanup,
        log,
        signal: deps.signal,
      });
      if (updated.verifiedPerContainer && plan.verify) outcome.verifiedUrl = plan.verify.url;
      if (updated.canaries.length > 0) outcome.canary = updated.canaries.join("; ");
      if (plan.verify && !updated.verifiedPerContainer) {
        await verifyUrl(deps.probe(remote), { ...plan.verify, log, signal: deps.signal });
        outcome.verifiedUrl = plan.verify.url;
      }
    } catch (error) {
      // Cancelled after `up`: the host may run the new release, unproven. Put the old one back.
      const cancelled = deps.signal?.aborted === true;
      outcome.failure = cancelled
        ? `the deploy of release ${layout.name} was cancelled after \`up\``
        : `release ${layout.name} failed: ${errorMessage(error)}`;
      log.error(`${remote.label}: ${outcome.failure}`);
      // A rollout that failed has shown its new containers and removed them already.
      if (!cancelled && !(error instanceof NewContainersFailed)) {
        const failing = error instanceof ProofFailed && error.services.length > 0 ? error.services : services;
        await showFailure(remote, compose, stack, failing, log);
      }
      const rollback = await rollBack(cleanup, {
        plan,
        compose,
        failed: stack,
        to: rollbackTo,
        services: selected,
        dockerConfig,
        cleanup,
        log,
        probe: deps.probe(cleanup),
        signal: deps.cleanupSignal,
      });
      outcome.rollback = cancelled ? `cancelled: ${rollback}` : rollback;
      log.info(outcome.rollback);
      return outcome;
    }

    // Proven: the switch is done even when a cancel comes now, so `current` names what runs.
    const keep = [layout.name, state.current === layout.name ? state.previous : state.current];
    outcome.pruned = releasesToPrune(await listReleases(cleanup, layout), plan.keepReleases, keep);
    const link = await finishRelease(cleanup, layout, {
      wasCurrent: state.current,
      prune: outcome.pruned,
      dockerConfig,
    });
    dockerConfig = undefined;
    outcome.running = await runningOf(cleanup, plan.target, link);
    log.info(`${remoteJoin(plan.target, "current")} → releases/${layout.name}`);
    if (outcome.pruned.length > 0) log.info(`removed old release(s): ${outcome.pruned.join(", ")}`);
    if (plan.prune) await remote.exec(["docker", "image", "prune", "--force"], { stream: true });
    outcome.ok = true;
    return outcome;
  } finally {
    if (dockerConfig) await removeDockerConfig(cleanup, dockerConfig);
  }
}

/**
 * No time travel: when `current` names a newer build than this one, the sentence that says
 * why this deploy is skipped. A `promote` or `rollback` event, or `force`, deploys it anyway.
 */
async function newerBuildDeployed(
  plan: DeployPlan,
  remote: RemoteHost,
  current: string | undefined,
  log: Logger,
): Promise<string | undefined> {
  const mine = plan.build.number;
  if (!current || mine === undefined) return undefined;
  const manifest = await readManifest(remote, plan.target, current).catch(() => undefined);
  const deployed = buildOf(current, manifest?.build);
  if (deployed === undefined || deployed <= mine) return undefined;
  if (plan.allowOlder) {
    const why =
      plan.build.event === "promote" || plan.build.event === "rollback" ? `a ${plan.build.event}` : "force";
    log.warn(`deploying build ${mine} over build ${deployed}, which is newer: ${why} asks for it`);
    return undefined;
  }
  return `skipped: build ${deployed} is deployed, this is build ${mine} (\`force: true\` or a promote deploys it anyway)`;
}
