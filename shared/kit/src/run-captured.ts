import { runPlugin } from "./main.ts";
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

/** Runs a plugin in this process as a step would (no arguments), capturing what it prints. */
export async function runCaptured<S extends SettingsSchema, P>(
  plugin: PluginDefinition<S, P>,
  env: Record<string, string>,
  workspace: string,
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runPlugin(plugin, {
    env,
    argv: [],
    cwd: workspace,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout, stderr, output: stdout + stderr };
}
