/**
 * The modules a Node process loads, for tests of what a plugin's start costs: a dry run should load
 * only what it uses, and what a run needs later (a client library, a compiler) on first use.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// Preloaded with --import: records every module URL Node resolves, written out when the process exits.
const RECORDER = `
import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
process.on("exit", () => writeFileSync(process.env.HANGAR_MODULES_FILE, JSON.stringify([...seen])));
`;

export interface LoadedModules {
  code: number | null;
  stdout: string;
  stderr: string;
  /** URLs of every module resolved: `file:///…/plan.ts`, `node:fs` … */
  modules: string[];
}

/** Runs `node <args>` (a bundle or a TypeScript entry) and lists the modules it loaded. */
export function modulesLoadedBy(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): LoadedModules {
  const dir = mkdtempSync(join(tmpdir(), "hangar-modules-"));
  const file = join(dir, "modules.json");
  try {
    const result = spawnSync(
      process.execPath,
      ["--import", `data:text/javascript,${encodeURIComponent(RECORDER)}`, ...args],
      {
        env: { ...options.env, HANGAR_MODULES_FILE: file },
        cwd: options.cwd,
        encoding: "utf8",
        timeout: options.timeoutMs ?? 30_000,
      },
    );
    let modules: string[] = [];
    try {
      modules = JSON.parse(readFileSync(file, "utf8")) as string[];
    } catch {
      // The process died before its exit handler: the output says why.
    }
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A plugin's dry run from its sources, in a fresh workspace holding `files`, as a Drone step runs
 * it (`DRONE=true`, `PLUGIN_DRY_RUN=true`, plus `env`), with the modules it loaded.
 */
export function dryRunModules(
  plugin: string,
  options: { env: Record<string, string>; files?: Record<string, string> },
): LoadedModules & { loaded: (pattern: RegExp) => string[] } {
  const workspace = mkdtempSync(join(tmpdir(), `${plugin}-start-`));
  try {
    for (const [file, content] of Object.entries(options.files ?? {})) {
      mkdirSync(dirname(join(workspace, file)), { recursive: true });
      writeFileSync(join(workspace, file), content);
    }
    const entry = join(import.meta.dirname, "../../../plugins", plugin, "src/index.ts");
    const run = modulesLoadedBy([entry], {
      cwd: workspace,
      env: { PATH: process.env.PATH, HOME: workspace, DRONE: "true", PLUGIN_DRY_RUN: "true", ...options.env },
    });
    return { ...run, loaded: (pattern) => run.modules.filter((url) => pattern.test(url)) };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
