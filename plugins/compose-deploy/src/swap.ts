import { setTimeout as sleep } from "node:timers/promises";
import type { Logger, RemoteHost } from "@hangar/kit";
import { errorMessage, formatDuration, sh } from "@hangar/kit";
import { type ComposeCommand, type ContainerState, composeArgv, type StackFiles } from "./compose.ts";
import { type HttpProbe, ProofFailed, verifyUrl, waitForServices } from "./proof.ts";

/**
 * `update: rollout` for one service: as many new containers as run now start beside the old ones
 * (`up --no-recreate --scale <svc>=2n`), are proven (health check, then `verify_url` against each
 * new container), serve beside the old ones for `drain`, and then the old ones are stopped
 * gracefully and removed by id. Compose v1 scales down by removing the newest containers, so
 * scaling back is never left to compose. A new container that does not prove itself is removed
 * with its siblings; the old ones have served all along, untouched.
 */

/** New containers that did not prove themselves, and were removed again; the old ones serve on. */
export class NewContainersFailed extends ProofFailed {}

export interface ServiceContainer {
  id: string;
  state: ContainerState;
  configHash: string;
  address: string;
}

const FORMAT = [
  "{{.Id}}",
  "{{.Name}}",
  '{{index .Config.Labels "com.docker.compose.service"}}',
  "{{.State.Status}}",
  "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
  "{{.State.ExitCode}}",
  "{{.RestartCount}}",
  '{{index .Config.Labels "com.docker.compose.config-hash"}}',
  "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
].join("|");

/** A service's containers (one-off `run` containers left out), oldest first. */
export async function serviceContainers(
  remote: Pick<RemoteHost, "exec">,
  project: string,
  service: string,
  only?: readonly string[],
): Promise<ServiceContainer[]> {
  const filters = [
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--filter",
    `label=com.docker.compose.service=${service}`,
    "--filter",
    "label=com.docker.compose.oneoff=False",
  ];
  const result = await remote.exec(
    {
      script: only
        ? sh`docker inspect --format ${FORMAT} ${only}`
        : sh`ids=$(docker ps -a -q --no-trunc ${filters}) || exit
[ -z "$ids" ] || docker inspect --format ${FORMAT} $ids`,
    },
    { quiet: true, allowFailure: only !== undefined },
  );
  return result.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [
        id = "",
        name = "",
        svc = "",
        status = "",
        health = "",
        exitCode = "0",
        restarts = "0",
        hash = "",
        ips = "",
      ] = line.split("|");
      return {
        id,
        configHash: hash,
        address: ips.trim().split(/\s+/)[0] ?? "",
        state: {
          name: name.replace(/^\//, ""),
          service: svc,
          status,
          health,
          exitCode: Number(exitCode),
          restarts: Number(restarts),
        },
      };
    });
}

/** `config --hash='*'`: what each service's containers are labelled with when they run this release. */
export async function configHashes(
  remote: RemoteHost,
  compose: ComposeCommand,
  stack: StackFiles,
): Promise<Map<string, string>> {
  const result = await remote.exec(composeArgv(compose, stack, undefined, "config", "--hash=*"), {
    quiet: true,
  });
  return new Map(
    result.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((fields): fields is [string, string] => fields.length === 2)
      .map(([service, hash]) => [service, hash]),
  );
}

export interface SwapOptions {
  compose: ComposeCommand;
  stack: StackFiles;
  dockerConfig: string | undefined;
  service: string;
  /** The config hash this release gives the service: containers that have it are left alone. */
  hash: string | undefined;
  /** Extra `up` flags (`--remove-orphans` on the deploy's first `up`). */
  upFlags: readonly string[];
  waitTimeoutMs: number;
  drainMs: number;
  /** `verify_url` with the service's name as its host: fetched from each new container. */
  verify?:
    | { url: string; status: number; retries: number; intervalMs: number; timeoutMs: number }
    | undefined;
  probe: HttpProbe;
  /** Runs the removal of failed new containers, past a cancel. */
  cleanup: RemoteHost;
  log: Logger;
  signal?: AbortSignal | undefined;
}

/** Rolls one service out; returns what was done, throws `ProofFailed` with the new containers' state. */
export async function swapService(remote: RemoteHost, options: SwapOptions): Promise<string> {
  const { service, log, stack } = options;
  const old = await serviceContainers(remote, stack.project, service);
  const running = old.filter((container) => container.state.status === "running");
  if (
    options.hash &&
    running.length > 0 &&
    old.every((container) => container.configHash === options.hash && container.state.status === "running")
  ) {
    log.info(`${service}: its ${running.length} container(s) already run this release: left as they are`);
    return `${service}: unchanged`;
  }
  if (running.length === 0 && old.length > 0) {
    // Stopped containers of an earlier release: `up --no-recreate` would start them as they are.
    await remote.exec(["docker", "rm", "--force", ...old.map((container) => container.id)]);
    old.length = 0;
  }
  const count = running.length;
  log.section(
    count > 0
      ? `${service}: starting ${count} new container(s) beside the ${count} running`
      : `${service}: none running, starting it`,
  );
  await remote.exec(
    composeArgv(
      options.compose,
      stack,
      options.dockerConfig,
      "up",
      "-d",
      "--no-deps",
      "--no-recreate",
      ...options.upFlags,
      // None running: compose starts as many as the file asks for (`scale:`).
      ...(count > 0 ? ["--scale", `${service}=${2 * count}`] : []),
      service,
    ),
    { stream: true },
  );
  const oldIds = new Set(old.map((container) => container.id));
  const fresh = (await serviceContainers(remote, stack.project, service)).filter(
    (container) => !oldIds.has(container.id),
  );
  const freshIds = fresh.map((container) => container.id);
  try {
    await proveNew(remote, options, freshIds);
  } catch (error) {
    throw await retireFailed(remote, options, freshIds, error);
  }
  if (old.length > 0) {
    log.info(
      `${service}: ${fresh.length} new container(s) proven; old and new serve side by side for ${formatDuration(options.drainMs)} (drain)`,
    );
    await sleep(options.drainMs, undefined, { signal: options.signal });
    // `docker stop` sends the container's stop signal and waits its stop timeout (compose's
    // `stop_grace_period`) before any kill.
    const ids = old.map((container) => container.id);
    await remote.exec({
      script: sh`docker stop ${ids} >/dev/null && docker rm ${ids} >/dev/null`,
      display: `docker stop, rm ${old.map((c) => c.state.name).join(" ")}`,
    });
  }
  const done = `${service}: ${fresh.length} new container(s) healthy${old.length > 0 ? `, ${old.length} old one(s) stopped and removed` : ""}`;
  log.info(`  ✔ ${done}`);
  return done;
}

async function proveNew(remote: RemoteHost, options: SwapOptions, ids: readonly string[]): Promise<void> {
  const { service, log } = options;
  if (ids.length === 0) throw new ProofFailed(`${service}: compose started no new container`, [service]);
  const list = async () =>
    (await serviceContainers(remote, options.stack.project, service, ids)).map(
      (container) => container.state,
    );
  await waitForServices(remote, {
    project: options.stack.project,
    services: [service],
    timeoutMs: options.waitTimeoutMs,
    log,
    signal: options.signal,
    list,
  });
  if (!options.verify) return;
  for (const container of await serviceContainers(remote, options.stack.project, service, ids)) {
    const url = new URL(options.verify.url);
    url.hostname = container.address;
    await verifyUrl(options.probe, { ...options.verify, url: url.toString(), log, signal: options.signal });
  }
}

const LOG_LINES = 20;

/**
 * Shows the new containers' state and the end of their logs, then stops and removes them: the
 * old ones keep serving as before. Returns the error the step fails with.
 */
async function retireFailed(
  remote: RemoteHost,
  options: SwapOptions,
  ids: readonly string[],
  error: unknown,
): Promise<NewContainersFailed> {
  const { service, log, cleanup } = options;
  const details: string[] = [];
  try {
    for (const container of await serviceContainers(cleanup, options.stack.project, service, ids)) {
      const { state } = container;
      details.push(
        `${state.name}: ${state.status}${state.health ? `, health ${state.health}` : ""}, exit code ${state.exitCode}`,
      );
      const logs = await cleanup.exec(["docker", "logs", `--tail=${LOG_LINES}`, container.id], {
        quiet: true,
        allowFailure: true,
      });
      const lines = `${logs.stdout}\n${logs.stderr}`.split("\n").filter((line) => line.trim() !== "");
      log.section(`${remote.label}: last ${LOG_LINES} log lines of ${state.name}`);
      for (const line of lines) log.info(`  │ ${line}`);
      details.push(...lines.slice(-5).map((line) => `  │ ${line}`));
    }
  } catch (inspectError) {
    log.warn(`could not read the new containers' state: ${errorMessage(inspectError)}`);
  }
  const removed = await cleanup.exec(
    {
      script: sh`docker stop ${ids} >/dev/null; docker rm --force ${ids} >/dev/null`,
      display: `docker stop, rm the new ${service} container(s)`,
    },
    { allowFailure: true },
  );
  const what =
    removed.code === 0
      ? `the new ${service} container(s) were removed; the old ones kept serving, untouched`
      : `removing the new ${service} container(s) failed too: ${removed.stderr.trim()}`;
  const message = [`${service}: ${errorMessage(error)}`, ...details.map((line) => `  ${line}`), what].join(
    "\n",
  );
  return new NewContainersFailed(message, [], error instanceof ProofFailed ? error.code : "E_NOT_HEALTHY");
}
