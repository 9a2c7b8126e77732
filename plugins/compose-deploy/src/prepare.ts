import type { RemoteHost } from "@hangar/kit";
import { errorMessage, HangarError, type Logger, remoteJoin } from "@hangar/kit";
import { type ComposeCommand, composeArgv, projectContainers, type StackFiles } from "./compose.ts";
import { renderDotenv } from "./dotenv.ts";
import type { DeployPlan } from "./plan.ts";
import {
  installRelease,
  MANIFEST,
  type ReleaseLayout,
  type ReleaseManifest,
  removeRelease,
  type UploadItem,
  uploadFiles,
} from "./release.ts";

/** The steps of a deploy before `up` (upload, install, check, pull), and what a failure shows. */

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

/** Uploads the files into the staging directory; the `.env` is rendered for the host's compose. */
export async function upload(
  plan: DeployPlan,
  remote: RemoteHost,
  layout: ReleaseLayout,
  compose: ComposeCommand,
  log: Logger,
): Promise<void> {
  const items: UploadItem[] = plan.files.map((file) => ({
    relative: file.relative,
    source: { workspace: plan.workspace, file: file.relative, setting: file.setting },
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
export async function prepare(
  plan: DeployPlan,
  remote: RemoteHost,
  layout: ReleaseLayout,
  compose: ComposeCommand,
  state: { current?: string | undefined; previous?: string | undefined },
  { log, now, cleanup }: { log: Logger; now: () => Date; cleanup: RemoteHost },
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
      build: plan.build.number,
      commit: plan.build.commit,
      event: plan.build.event,
    };
    await uploadFiles(remote, layout.dir, [
      { relative: MANIFEST, source: { content: `${JSON.stringify(manifest, null, 2)}\n` } },
    ]);
    return services;
  } catch (error) {
    // Under the clean-up signal: a cancel (the pull stopped) must not leave the directory behind.
    if (![state.current, state.previous].includes(layout.name)) await removeRelease(cleanup, layout);
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
export async function showFailure(
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
