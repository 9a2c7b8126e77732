import { execFile } from "node:child_process";
import { type Dependencies, runPlugin } from "./main.ts";
import type { PluginDefinition } from "./plugin.ts";
import type { SettingsSchema } from "./settings/define.ts";

/** What a plugin printed and how it exited, for tests and tools that run it in-process. */
export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
}

/**
 * Runs a plugin in this process as a step would (no arguments), capturing what it prints;
 * `cancel.signal` stands for the runner's SIGTERM, `cancel.cancelGraceMs` for its grace period.
 */
export async function runCaptured<S extends SettingsSchema, P>(
  plugin: PluginDefinition<S, P>,
  env: Record<string, string>,
  workspace: string,
  cancel: Pick<Dependencies, "signal" | "cancelGraceMs"> = {},
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runPlugin(plugin, {
    env,
    argv: [],
    cwd: workspace,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    ...cancel,
  });
  return { code, stdout, stderr, output: stdout + stderr };
}

/**
 * Runs a plugin's entry (`src/index.ts` or a bundle) as its own process, as a step does: for what
 * changes process-wide state (TLS trust). Asynchronous, so a server in the caller's process can
 * answer it.
 */
export function runCapturedProcess(
  entry: string,
  env: Record<string, string>,
  workspace: string,
): Promise<CapturedRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry],
      { env: { PATH: process.env.PATH ?? "", ...env }, cwd: workspace },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, output: stdout + stderr });
      },
    );
  });
}
