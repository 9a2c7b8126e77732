import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { access, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestbedUnavailableError } from "./availability.ts";
import { findBinary } from "./binaries.ts";
import { run } from "./run.ts";
import { waitUntil } from "./wait.ts";

const SERVER = "Docker Engine";
// No bridge and no iptables: containers run with host networking, and the host's firewall is left alone.
export const DOCKERD_FLAGS = ["--bridge=none", "--iptables=false", "--ip6tables=false"];

export interface IsolatedDockerd {
  /** Unix socket path the daemon listens on (DOCKER_HOST=unix://…). */
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
}

export interface DockerEngineOptions {
  /** How long to wait for `docker info` after starting dockerd (default 60 s). */
  timeoutMs?: number;
  /** Where a dockerd started here logs (default /var/log/hangar-dockerd.log, else os.tmpdir()). */
  logFile?: string;
  /** A second, separate daemon (for testing the start path); default: the machine's own engine. */
  isolated?: IsolatedDockerd;
}

export interface DockerEngine {
  serverVersion: string;
  /** Whether this call started dockerd (it keeps running after this process exits). */
  startedByUs: boolean;
  /** The dockerd this call started. */
  pid: number | undefined;
  logFile: string | undefined;
  /** Environment for docker CLI calls against this engine (sets DOCKER_HOST for an isolated one). */
  env: NodeJS.ProcessEnv;
  /** Stops the dockerd this call started; does nothing for an engine that was already running. */
  shutdown(): Promise<void>;
}

async function serverVersion(docker: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(docker, ["info", "--format", "{{json .ServerVersion}}"], {
    env,
    timeoutMs: 20_000,
  });
  const version: unknown = JSON.parse(stdout.trim() || "null");
  if (typeof version !== "string" || version === "")
    throw new Error(`docker info reported no server version: ${stdout}`);
  return version;
}

async function defaultLogFile(): Promise<string> {
  try {
    await access("/var/log", constants.W_OK);
    return "/var/log/hangar-dockerd.log";
  } catch {
    return join(tmpdir(), "hangar-dockerd.log");
  }
}

function logTail(path: string): string {
  try {
    return readFileSync(path, "utf8").trim().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Whether a process of this id runs (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Uses the running Docker Engine, or starts dockerd detached (it outlives this process) and waits
 * for `docker info`. The single implementation behind `.ci/ensure-docker`.
 */
export async function ensureDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngine> {
  const docker = findBinary(SERVER, "docker", "docker.io");
  const isolated = options.isolated;
  const env: NodeJS.ProcessEnv = isolated
    ? { ...process.env, DOCKER_HOST: `unix://${isolated.socket}` }
    : process.env;
  const running = await serverVersion(docker, env).catch(() => undefined);
  if (running !== undefined) {
    return {
      serverVersion: running,
      startedByUs: false,
      pid: undefined,
      logFile: undefined,
      env,
      shutdown: async () => {},
    };
  }

  const dockerd = findBinary(SERVER, "dockerd", "docker.io");
  if (process.getuid?.() !== 0) {
    throw new TestbedUnavailableError(
      SERVER,
      "no Docker Engine answers `docker info` and only root can start dockerd; start it yourself (sudo bash .ci/ensure-docker)",
      "docker.io",
    );
  }
  const logFile = options.logFile ?? (await defaultLogFile());
  const args = [...DOCKERD_FLAGS];
  if (isolated) {
    args.push(
      `--host=unix://${isolated.socket}`,
      `--data-root=${isolated.dataRoot}`,
      `--exec-root=${isolated.execRoot}`,
      `--pidfile=${isolated.pidFile}`,
    );
  }
  const log = openSync(logFile, "a");
  // dockerd finds containerd, runc and docker-init on PATH; a non-login PATH may lack the sbin directories.
  const path = [process.env.PATH ?? "", "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    .filter(Boolean)
    .join(":");
  const child = spawn(dockerd, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, PATH: path },
  });
  closeSync(log);
  child.unref();
  let exit: string | undefined;
  child.once("error", (error) => {
    exit = `could not be spawned: ${error.message}`;
  });
  child.once("exit", (code, signal) => {
    exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });

  let version = "";
  await waitUntil(
    `dockerd to answer docker info (log: ${logFile})`,
    async () => {
      version = await serverVersion(docker, env);
      return true;
    },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 250,
      failIf: () => {
        if (exit === undefined) return undefined;
        const tail = logTail(logFile);
        // Another process started a daemon at the same moment: it owns the pid file, wait for it instead.
        if (/pid file found|is still running/i.test(tail)) return undefined;
        return `dockerd ${exit}; the end of ${logFile}:\n${tail}`;
      },
    },
  );

  const pid = exit === undefined ? child.pid : undefined;
  return {
    serverVersion: version,
    startedByUs: pid !== undefined,
    pid,
    logFile,
    env,
    async shutdown() {
      if (pid === undefined || !isAlive(pid)) return;
      process.kill(pid, "SIGTERM");
      await waitUntil(`dockerd (pid ${pid}) to exit`, () => !isAlive(pid) || exit !== undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
      }).catch(() => process.kill(pid, "SIGKILL"));
    },
  };
}
