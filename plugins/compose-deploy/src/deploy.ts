import { errorMessage, HangarError, type Logger } from "@hangar/kit";
import { type ComposeCommand, composeArgv, projectContainers, type StackFiles } from "./compose.ts";
import type { RemoteHost } from "./connection.ts";
import { renderDotenv } from "./dotenv.ts";
import type { DeployPlan } from "./plan.ts";
import { type HttpProbe, ProofFailed, verifyUrl, waitForServices } from "./proof.ts";
import {
  finishRelease,
  installRelease,
  listReleases,
  MANIFEST,
  parentDirs,
  probeHost,
  type ReleaseLayout,
  type ReleaseManifest,
  releaseLayout,
  releasesToPrune,
  removeDockerConfig,
  removeRelease,
  type UploadItem,
  uploadFiles,
} from "./release.ts";
import { rollBack } from "./rollback.ts";
import { remoteJoin } from "./shell.ts";

/** What happened on one host. */
export interface HostOutcome {
  host: string;
  ok: boolean;
  /** The release directory on the host. */
  releaseDir: string;
  compose?: string | undefined;
  verifiedUrl?: string | undefined;
  /** Why the deploy failed, and what was done about it. */
  failure?: string | undefined;
  rollback?: string | undefined;
  pruned?: string[] | undefined;
}

export interface DeployDeps {
  log: Logger;
  /** How `verify_url` is fetched: on the host or from the runner. */
  probe: (remote: RemoteHost) => HttpProbe;
  signal?: AbortSignal | undefined;
  now: () => Date;
}

/** The stack as compose addresses it inside one release directory. */
export function stackIn(
  plan: Pick<DeployPlan, "project" | "composeFiles" | "dotenv">,
  dir: string,
): StackFiles {
  return {
    project: plan.project,
    composeFiles: plan.composeFiles.map((file) => remoteJoin(dir, file)),
    envFile: plan.dotenv ? remoteJoin(dir, plan.dotenv.path) : undefined,
  };
}

/**
 * One host, on one connection: upload the release, install it, check and pull, `up`, prove it;
 * then make it current, or show why not and bring the previous release back.
 *
 * Throws when the deploy fails before `up` (nothing that runs was changed, and the new release
 * directory is removed again); returns `ok: false` when it failed after, with what the rollback did.
 */
export async function deployToHost(
  plan: DeployPlan,
  remote: RemoteHost,
  deps: DeployDeps,
): Promise<HostOutcome> {
  const { log } = deps;
  const layout = releaseLayout(plan.target, plan.release);
  const shipped = [...plan.files.map((file) => file.relative), ...(plan.dotenv ? [plan.dotenv.path] : [])];
  const state = await probeHost(remote, layout, parentDirs(shipped));
  const { compose } = state;
  const composeName = `${compose.name} ${compose.version}`;
  log.info(`compose on the host: ${composeName}`);
  log.info(
    state.current
      ? `current release: ${state.current}${state.current === layout.name ? " (this one, deployed again)" : ""}`
      : "first deploy to this host: there is no current release",
  );
  // A re-run of the release that is current goes back to the one before it on failure.
  const rollbackTo = state.current !== layout.name ? state.current : state.previous;
  const outcome: HostOutcome = {
    host: remote.label,
    ok: false,
    releaseDir: layout.dir,
    compose: composeName,
  };

  await upload(plan, remote, layout, compose, log).catch(async (error: unknown) => {
    await removeRelease(remote, { ...layout, dir: layout.staging });
    throw error;
  });
  let dockerConfig: string | undefined;
  try {
    const services = await prepare(plan, remote, layout, compose, state, deps, (dir) => {
      dockerConfig = dir;
    });
    const stack = stackIn(plan, layout.dir);
    const selected = plan.services ?? [];
    try {
      const orphans = plan.removeOrphans ? ["--remove-orphans"] : [];
      await remote.exec(composeArgv(compose, stack, dockerConfig, "up", "-d", ...orphans, ...selected), {
        stream: true,
      });
      if (plan.wait) {
        await waitForServices(remote, {
          project: plan.project,
          services,
          timeoutMs: plan.wait.timeoutMs,
          log,
          signal: deps.signal,
        });
      }
      if (plan.verify) {
        await verifyUrl(deps.probe(remote), { ...plan.verify, log, signal: deps.signal });
        outcome.verifiedUrl = plan.verify.url;
      }
    } catch (error) {
      if (deps.signal?.aborted) throw error;
      outcome.failure = `release ${layout.name} failed: ${errorMessage(error)}`;
      log.error(`${remote.label}: ${outcome.failure}`);
      const failing = error instanceof ProofFailed && error.services.length > 0 ? error.services : services;
      await showFailure(remote, compose, stack, failing, log);
      outcome.rollback = await rollBack(remote, {
        plan,
        compose,
        failed: stack,
        to: rollbackTo,
        services: selected,
        dockerConfig,
        log,
        probe: deps.probe(remote),
        signal: deps.signal,
      });
      log.info(outcome.rollback);
      return outcome;
    }

    const keep = [layout.name, state.current === layout.name ? state.previous : state.current];
    outcome.pruned = releasesToPrune(await listReleases(remote, layout), plan.keepReleases, keep);
    await finishRelease(remote, layout, { wasCurrent: state.current, prune: outcome.pruned, dockerConfig });
    dockerConfig = undefined;
    log.info(`${remoteJoin(plan.target, "current")} → releases/${layout.name}`);
    if (outcome.pruned.length > 0) log.info(`removed old release(s): ${outcome.pruned.join(", ")}`);
    if (plan.prune) await remote.exec(["docker", "image", "prune", "--force"], { stream: true });
    outcome.ok = true;
    return outcome;
  } finally {
    if (dockerConfig) await removeDockerConfig(remote, dockerConfig);
  }
}

/** Uploads the files into the staging directory; the `.env` is rendered for the host's compose. */
async function upload(
  plan: DeployPlan,
  remote: RemoteHost,
  layout: ReleaseLayout,
  compose: ComposeCommand,
  log: Logger,
): Promise<void> {
  const items: UploadItem[] = plan.files.map((file) => ({
    relative: file.relative,
    source: { file: file.absolute },
  }));
  if (plan.dotenv) {
    // Holds the secrets: readable by the SSH user only.
    const content = renderDotenv(plan.dotenv.entries, compose.flavour);
    items.push({ relative: plan.dotenv.path, source: { content }, mode: 0o600 });
  }
  await uploadFiles(remote, layout.staging, items);
  log.info(`uploaded ${items.map((item) => item.relative).join(", ")} over SFTP`);
}

/**
 * Installs the release and logs in, then lets compose check the files and list the services
 * while it pulls (two Python starts in parallel, for compose v1). A failure here has changed
 * nothing that runs: the new release directory is removed again, unless `current` or `previous`
 * names it. Returns the services to wait for.
 */
async function prepare(
  plan: DeployPlan,
  remote: RemoteHost,
  layout: ReleaseLayout,
  compose: ComposeCommand,
  state: { current?: string | undefined; previous?: string | undefined },
  { log, now }: Pick<DeployDeps, "log" | "now">,
  onLogin: (dockerConfig: string) => void,
): Promise<string[]> {
  try {
    const dockerConfig = await installRelease(remote, layout, plan.registry);
    if (dockerConfig) onLogin(dockerConfig);
    log.info(`release directory ${layout.dir} is in place`);
    const stack = stackIn(plan, layout.dir);
    const [checked, pulled] = await Promise.allSettled([
      remote.exec(composeArgv(compose, stack, undefined, "config", "--services")),
      plan.pull
        ? remote.exec(composeArgv(compose, stack, dockerConfig, "pull", ...(plan.services ?? [])), {
            stream: true,
          })
        : Promise.resolve(undefined),
    ]);
    if (checked.status === "rejected") throw checked.reason;
    if (pulled.status === "rejected") throw pulled.reason;

    const known = checked.value.stdout
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const unknown = (plan.services ?? []).filter((service) => !known.includes(service));
    if (unknown.length > 0) {
      throw new HangarError(
        "E_UNKNOWN_SERVICE",
        `the compose files have no service ${unknown.join(", ")} (they have ${known.join(", ")})`,
        { hint: "Fix `services`, or add the service to the compose files." },
      );
    }
    const services = plan.services ?? known;
    const manifest: ReleaseManifest = {
      release: layout.name,
      project: plan.project,
      composeFiles: plan.composeFiles,
      envFile: plan.dotenv?.path,
      services,
      deployedAt: now().toISOString(),
    };
    await uploadFiles(remote, layout.dir, [
      { relative: MANIFEST, source: { content: `${JSON.stringify(manifest, null, 2)}\n` } },
    ]);
    return services;
  } catch (error) {
    if (![state.current, state.previous].includes(layout.name)) await removeRelease(remote, layout);
    const kept = state.current ? `: ${state.current} is still the current release` : "";
    throw new HangarError(
      error instanceof HangarError ? error.code : "E_PREPARE",
      `${errorMessage(error)}\nNothing that runs was changed${kept}.`,
      { cause: error, ...(error instanceof HangarError && error.hint ? { hint: error.hint } : {}) },
    );
  }
}

const LOG_LINES = 30;

/** The state of the failing services and the end of their logs, for the step's log. */
async function showFailure(
  remote: RemoteHost,
  compose: ComposeCommand,
  stack: StackFiles,
  services: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    const states = await projectContainers(remote, stack.project);
    log.section(`${remote.label}: state of ${services.join(", ")}`);
    for (const state of states.filter((item) => services.includes(item.service))) {
      const health = state.health ? `, health ${state.health}` : "";
      log.info(
        `  ${state.service} (${state.name}): ${state.status}${health}, exit code ${state.exitCode}, ${state.restarts} restart(s)`,
      );
    }
    const logs = await remote.exec(
      composeArgv(compose, stack, undefined, "logs", "--no-color", `--tail=${LOG_LINES}`, ...services),
      { allowFailure: true },
    );
    log.section(`${remote.label}: last ${LOG_LINES} log lines of ${services.join(", ")}`);
    for (const line of `${logs.stdout}\n${logs.stderr}`.split("\n")) if (line.trim()) log.info(`  │ ${line}`);
  } catch (error) {
    log.warn(`could not read the state of the failed services: ${errorMessage(error)}`);
  }
}
