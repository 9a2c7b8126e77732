import type { RemoteHost } from "@hangar/kit";
import { HangarError, sh } from "@hangar/kit";
import type { DotenvFlavour } from "./dotenv.ts";

/** The compose command found on a host: v2 (`docker compose`) is preferred over v1 (`docker-compose`). */
export interface ComposeCommand {
  argv: string[];
  name: "docker compose" | "docker-compose";
  version: string;
  flavour: DotenvFlavour;
}

/**
 * Shell lines that print `compose=v2 <version>`, `compose=v1` or `compose=none <docker>`, and
 * leave `found` set when there is a compose. v1 is not asked for its version: each start of
 * the Python program costs most of a second.
 */
export const COMPOSE_PROBE = [
  "if v=$(docker compose version --short 2>/dev/null); then printf 'compose=v2 %s\\n' \"$v\"; found=1",
  "elif command -v docker-compose >/dev/null 2>&1; then printf 'compose=v1\\n'; found=1",
  "else printf 'compose=none %s\\n' \"$(command -v docker || echo no-docker)\"; found=; fi",
].join("\n");

export function parseComposeProbe(line: string | undefined, host: string): ComposeCommand {
  const [kind = "", ...rest] = (line ?? "").trim().split(/\s+/);
  if (kind === "v2") {
    const version = (rest[0] ?? "").replace(/^v/, "");
    return { argv: ["docker", "compose"], name: "docker compose", version, flavour: "v2" };
  }
  if (kind === "v1")
    return { argv: ["docker-compose"], name: "docker-compose", version: "v1", flavour: "v1" };
  const docker =
    rest[0] === "no-docker" || rest.length === 0 ? "and no `docker` either" : `(docker: ${rest[0]})`;
  throw new HangarError(
    "E_NO_COMPOSE",
    `${host} has neither \`docker compose\` (v2) nor \`docker-compose\` (v1) on the PATH of the SSH user ${docker}`,
    {
      hint: "Install Docker Compose on the host (the docker-compose-plugin package, or docker-compose), and let the SSH user run docker (the docker group).",
    },
  );
}

/** What compose needs to address one release's stack. */
export interface StackFiles {
  project: string;
  /** Absolute paths on the host, in `-f` order. */
  composeFiles: readonly string[];
  envFile?: string | undefined;
}

/** `DOCKER_CONFIG=… docker …` when the deploy logged in to a registry with a Docker config of its own. */
export function withDockerEnv(dockerConfig: string | undefined, argv: readonly string[]): string[] {
  return dockerConfig ? ["env", `DOCKER_CONFIG=${dockerConfig}`, ...argv] : [...argv];
}

export function composeArgv(
  compose: ComposeCommand,
  stack: StackFiles,
  dockerConfig: string | undefined,
  ...command: string[]
): string[] {
  const files = stack.composeFiles.flatMap((file) => ["-f", file]);
  const envFile = stack.envFile ? ["--env-file", stack.envFile] : [];
  return withDockerEnv(dockerConfig, [
    ...compose.argv,
    "-p",
    stack.project,
    ...files,
    ...envFile,
    ...command,
  ]);
}

/** The container state of one service, as `docker inspect` reports it. */
export interface ContainerState {
  name: string;
  service: string;
  status: string;
  health: string;
  exitCode: number;
  restarts: number;
}

/** The `docker inspect` fields of a `ContainerState`, in its order. */
export const STATE_FIELDS = [
  "{{.Name}}",
  '{{index .Config.Labels "com.docker.compose.service"}}',
  "{{.State.Status}}",
  "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
  "{{.State.ExitCode}}",
  "{{.RestartCount}}",
];

const INSPECT_FORMAT = [...STATE_FIELDS, '{{index .Config.Labels "com.docker.compose.oneoff"}}'].join("|");

/** The project's containers (one-off `run` containers left out), in one round trip. */
export async function projectContainers(
  remote: Pick<RemoteHost, "exec">,
  project: string,
): Promise<ContainerState[]> {
  const filter = `label=com.docker.compose.project=${project}`;
  const result = await remote.exec(
    {
      script: sh`ids=$(docker ps -a -q --no-trunc --filter ${filter}) || exit
[ -z "$ids" ] || docker inspect --format ${INSPECT_FORMAT} $ids`,
    },
    { quiet: true },
  );
  return parseContainerStates(result.stdout);
}

export function parseContainerStates(text: string): ContainerState[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.split("|"))
    .filter((fields) => fields[6]?.toLowerCase() !== "true")
    .map(stateOf);
}

/** A `ContainerState` from the values of `STATE_FIELDS`, in their order. */
export function stateOf([
  name = "",
  service = "",
  status = "",
  health = "",
  exitCode = "0",
  restarts = "0",
]: readonly string[]): ContainerState {
  return {
    name: name.replace(/^\//, ""),
    service,
    status,
    health,
    exitCode: Number(exitCode),
    restarts: Number(restarts),
  };
}

export type ServiceVerdict = { state: "ready" | "pending" | "failed"; why: string };

const CRASH_LOOP_RESTARTS = 3;

/**
 * Whether one service is up: every container running (and healthy where it has a health
 * check), or finished with exit 0 (a one-shot job). A container that is unhealthy, exited with
 * an error or keeps restarting fails at once: waiting longer would not help.
 */
export function judgeService(service: string, containers: readonly ContainerState[]): ServiceVerdict {
  const mine = containers.filter((container) => container.service === service);
  if (mine.length === 0) return { state: "pending", why: `${service}: no container yet` };
  for (const container of mine) {
    const health = container.health ? `, ${container.health}` : "";
    const what = `${service} (${container.name}): ${container.status}${health}`;
    if (container.health === "unhealthy") return { state: "failed", why: `${what}: its health check fails` };
    if (container.status === "exited" || container.status === "dead") {
      if (container.exitCode === 0 && container.status === "exited") continue;
      return { state: "failed", why: `${what} with code ${container.exitCode}` };
    }
    if (container.status === "restarting" && container.restarts >= CRASH_LOOP_RESTARTS)
      return { state: "failed", why: `${what}: restarted ${container.restarts} times` };
    if (container.status !== "running" || container.health === "starting")
      return { state: "pending", why: what };
  }
  const summary = mine
    .map((container) =>
      container.status === "exited"
        ? "done (exit 0)"
        : `${container.status}${container.health ? `, ${container.health}` : ""}`,
    )
    .join("; ");
  return { state: "ready", why: `${service}: ${summary}` };
}
