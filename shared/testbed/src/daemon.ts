import { type ChildProcess, spawn } from "node:child_process";
import { onProcessExit } from "./cleanup.ts";
import type { TempDir } from "./temp-dir.ts";

const OUTPUT_LIMIT = 64 * 1024;

export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last 64 KiB of its stdout and stderr, for error messages. */
  output(): string;
  /** Why it is no longer running ("exited with code 1", "could not be spawned: …"), or undefined while it runs. */
  exitReason(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a long-running server process attached to this one (no shell). It is killed when
 * this process exits, so a crashed test run leaves no servers behind.
 */
export function spawnDaemon(
  name: string,
  file: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Daemon {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  let output = "";
  let reason: string | undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const forget = onProcessExit(() => child.kill("SIGKILL"));
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      reason ??= `could not be spawned: ${error.message}`;
      forget();
      resolve();
    });
    child.once("exit", (code, signal) => {
      reason ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      forget();
      resolve();
    });
  });
  return {
    name,
    child,
    output: () => output,
    exitReason: () => reason,
    async stop(graceMs = 5_000) {
      if (reason !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One line for an error message: what happened to the daemon and the tail of its output. */
export function describeFailure(daemon: Daemon): string {
  const tail = daemon.output().trim().split("\n").slice(-15).join("\n");
  const state = daemon.exitReason() ?? "is still running";
  return `${daemon.name} ${state}${tail ? `; its output:\n${tail}` : " (no output)"}`;
}

/** A server's log and its stop, which removes the temporary directory it ran in as well. */
export function daemonInDir(daemon: Daemon, dir: TempDir): { logs(): string; stop(): Promise<void> } {
  return {
    logs: () => daemon.output(),
    async stop() {
      await daemon.stop();
      await dir.remove();
    },
  };
}

/** After a failed start: stops what was started, removes its directory and rethrows the error. */
export async function abandonStart(daemon: Daemon | undefined, dir: TempDir, error: unknown): Promise<never> {
  await daemon?.stop();
  await dir.remove();
  throw error;
}
