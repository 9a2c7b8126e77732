import { setTimeout as sleep } from "node:timers/promises";
import type { Logger, RemoteHost } from "@hangar/kit";
import { errorMessage, formatDuration, HangarError, sh } from "@hangar/kit";
import {
  type ComposeCommand,
  type ContainerState,
  composeArgv,
  judgeService,
  STATE_FIELDS,
  type StackFiles,
  stateOf,
} from "./compose.ts";
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

// `.ID`, the field's Go name: with `.Id` docker falls back to the raw JSON, where a container
// that was created and never started has no `Health` and the whole inspect fails.
const FORMAT = [
  "{{.ID}}",
  ...STATE_FIELDS,
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
      const fields = line.split("|");
      const [id = "", hash = "", ips = ""] = [fields[0], ...fields.slice(STATE_FIELDS.length + 1)];
      return {
        id,
        configHash: hash,
        address: ips.trim().split(/\s+/)[0] ?? "",
        state: stateOf(fields.slice(1, STATE_FIELDS.length + 1)),
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
  /** First one new container for this long, probed every `intervalMs`, before the rest. */
  canary?: { durationMs: number; intervalMs: number } | undefined;
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

export interface SwapResult {
  step: string;
  /** The service already ran this release: no `up` ran, and this many containers run. */
  unchanged?: number | undefined;
  /** How long the canary ran and how many probes it passed, when there was one. */
  canary?: string | undefined;
}

/** Rolls one service out; returns what was done, throws `ProofFailed` with the new containers' state. */
export async function swapService(remote: RemoteHost, options: SwapOptions): Promise<SwapResult> {
  const { service, log, stack } = options;
  const all = await serviceContainers(remote, stack.project, service);
  const old = all.filter((container) => container.state.status === "running");
  const stopped = all.filter((container) => container.state.status !== "running");
  if (
    options.hash &&
    old.length > 0 &&
    stopped.length === 0 &&
    old.every((c) => c.configHash === options.hash)
  ) {
    log.info(`${service}: its ${old.length} container(s) already run this release: left as they are`);
    return { step: `${service}: unchanged`, unchanged: old.length };
  }
  if (stopped.length > 0) {
    // Containers that serve nothing: `up --no-recreate` would start them as they are, and
    // compose counts them when it scales.
    await remote.exec(["docker", "rm", "--force", ...stopped.map((container) => container.id)]);
  }
  const count = old.length;
  const known = new Set(old.map((container) => container.id));
  const fresh: string[] = [];
  let canary: string | undefined;
  if (options.canary && count > 0) {
    log.section(
      `${service}: a canary beside the ${count} running, watched for ${formatDuration(options.canary.durationMs)}`,
    );
    try {
      fresh.push(...(await startBeside(remote, options, count + 1, known)));
      await proveNew(remote, options, fresh);
      log.info(
        `${service}: the canary is healthy; probing it every ${formatDuration(options.canary.intervalMs)} for ${formatDuration(options.canary.durationMs)}`,
      );
      const probes = await watchCanary(remote, options, fresh);
      canary = `${service}: the canary ran ${formatDuration(options.canary.durationMs)}, ${probes} probe(s) passed`;
      log.info(`  ✔ ${canary}`);
    } catch (error) {
      throw await retireFailed(remote, options, await addedBeside(options, known, fresh), error, "canary");
    }
  }
  log.section(
    count > 0
      ? `${service}: starting ${count - fresh.length} new container(s) beside the ${count} running`
      : `${service}: none running, starting it`,
  );
  try {
    const rest = await startBeside(remote, options, 2 * count, new Set([...known, ...fresh]));
    fresh.push(...rest);
    await proveNew(remote, options, rest.length > 0 ? rest : fresh);
  } catch (error) {
    throw await retireFailed(remote, options, await addedBeside(options, known, fresh), error);
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
  const step = `${service}: ${fresh.length} new container(s) healthy${old.length > 0 ? `, ${old.length} old one(s) stopped and removed` : ""}`;
  log.info(`  ✔ ${step}`);
  return { step, canary };
}

/**
 * `up -d --no-deps --no-recreate --scale <svc>=<total> <svc>`: no container of the service is
 * recreated nor removed; with `total` 0, as many as the file asks for.
 */
export async function upWithout(
  remote: RemoteHost,
  options: Pick<SwapOptions, "compose" | "stack" | "dockerConfig" | "service" | "upFlags">,
  total: number,
): Promise<void> {
  const { service } = options;
  const scale = total > 0 ? ["--scale", `${service}=${total}`] : [];
  const up = ["up", "-d", "--no-deps", "--no-recreate", ...options.upFlags, ...scale, service];
  await remote.exec(composeArgv(options.compose, options.stack, options.dockerConfig, ...up), {
    stream: true,
  });
}

/**
 * `up --no-recreate --scale <svc>=<total>`: compose adds containers of the new release and leaves
 * the ones there alone. Returns the ids of the containers it added. With `total` 0 (none
 * running), compose starts as many as the file asks for (`scale:`).
 */
async function startBeside(
  remote: RemoteHost,
  options: SwapOptions,
  total: number,
  known: ReadonlySet<string>,
): Promise<string[]> {
  const { stack, service } = options;
  if (total > 0 && total <= known.size) return [];
  await upWithout(remote, options, total);
  return (await serviceContainers(remote, stack.project, service))
    .filter((container) => !known.has(container.id))
    .map((container) => container.id);
}

/**
 * Every container of the service that was not running before the rollout: an `up` that failed
 * half way (one new container created, its start refused) has returned no ids, and what it left
 * must go with the rest. The ids known so far when the host cannot be asked.
 */
async function addedBeside(
  options: SwapOptions,
  old: ReadonlySet<string>,
  fresh: readonly string[],
): Promise<string[]> {
  const all = await serviceContainers(options.cleanup, options.stack.project, options.service).catch(
    () => undefined,
  );
  return all
    ? all.filter((container) => !old.has(container.id)).map((container) => container.id)
    : [...fresh];
}

/**
 * Probes the canary every `verify_interval` for the canary's time: its health check and, when
 * `verify_url` names the service, the URL against the canary itself. Returns the probes passed;
 * throws at the first that fails.
 */
async function watchCanary(
  remote: RemoteHost,
  options: SwapOptions,
  ids: readonly string[],
): Promise<number> {
  const { canary, service, log } = options;
  if (!canary) return 0;
  const deadline = Date.now() + canary.durationMs;
  let passed = 0;
  while (Date.now() < deadline) {
    await sleep(Math.min(canary.intervalMs, Math.max(0, deadline - Date.now())), undefined, {
      signal: options.signal,
    });
    const containers = await serviceContainers(remote, options.stack.project, service, ids);
    const verdict = judgeService(
      service,
      containers.map((container) => container.state),
    );
    if (verdict.state !== "ready")
      throw new ProofFailed(`the canary failed probe ${passed + 1}: ${verdict.why}`, [service]);
    if (options.verify) {
      for (const container of containers) {
        const url = new URL(options.verify.url);
        url.hostname = container.address;
        const answer = await options
          .probe(url.toString(), options.verify.timeoutMs, options.signal)
          .catch((error: unknown) => ({ status: 0, body: errorMessage(error) }));
        if (answer.status !== options.verify.status)
          throw new ProofFailed(
            `the canary failed probe ${passed + 1}: ${url} answered ${answer.status || answer.body}`,
            [service],
          );
      }
    }
    passed++;
    log.debug(`canary probe ${passed} passed`);
  }
  return passed;
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
  which = "new",
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
  const removed =
    ids.length === 0
      ? { code: 0, stderr: "" }
      : await cleanup.exec(
          {
            script: sh`docker stop ${ids} >/dev/null; docker rm --force ${ids} >/dev/null`,
            display: `docker stop, rm the new ${service} container(s)`,
          },
          { allowFailure: true },
        );
  const what =
    removed.code === 0
      ? `the ${which} ${service} container(s) were removed; the old ones kept serving, untouched`
      : `removing the ${which} ${service} container(s) failed too: ${removed.stderr.trim()}`;
  const message = [`${service}: ${errorMessage(error)}`, ...details.map((line) => `  ${line}`), what].join(
    "\n",
  );
  return new NewContainersFailed(message, [], error instanceof HangarError ? error.code : "E_NOT_HEALTHY");
}
