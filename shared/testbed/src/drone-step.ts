import { spawn } from "node:child_process";

export interface DroneStepOptions {
  image: string;
  /** Settings as Drone passes them (`PLUGIN_*`) and the build's `DRONE_*` variables. */
  env: Record<string, string>;
  /** Host directory mounted as the workspace. */
  workspace: string;
  timeoutMs?: number;
}

export interface DroneStepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const DRONE_WORKSPACE = "/drone/src";

/**
 * Runs a plugin image the way Drone's docker runner does: the workspace mounted at /drone/src
 * as the working directory, settings and context as environment variables, and (as on these
 * machines, where dockerd runs without a bridge) the host's network.
 */
export function runDroneStep(options: DroneStepOptions): Promise<DroneStepResult> {
  const env = { CI: "true", DRONE: "true", DRONE_WORKSPACE, ...options.env };
  const args = [
    "run",
    "--rm",
    "--network",
    "host",
    "--volume",
    `${options.workspace}:${DRONE_WORKSPACE}`,
    "--workdir",
    DRONE_WORKSPACE,
    ...Object.keys(env).flatMap((name) => ["--env", name]),
    options.image,
  ];
  return new Promise((resolve, reject) => {
    // Values go through the environment, not the command line, as Drone passes secrets.
    const child = spawn("docker", args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? -1, stdout, stderr });
    });
  });
}

/** Whether a local image exists (the images are built by `pnpm images` before the tests). */
export function imageExists(image: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("docker", ["image", "inspect", image], { stdio: "ignore" });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}
