/**
 * Cold start: each plugin bundle run the way its image runs it (`node index.mjs`), once as a dry run
 * and once with `--help`, against bare `node -e 0`: same node binary, interleaved rounds, median.
 *
 * A plugin's dry-run settings are a JSON object of environment variables (PLUGIN_*, DRONE_* …) in
 * plugins/<name>/bench.env.json, or else bench/dry-run/<name>.env.json. Each run gets a clean
 * environment (PATH, HOME, those variables, PLUGIN_DRY_RUN=true) and its own temporary workspace as
 * working directory, holding the files of plugins/<name>/bench.workspace/ (or
 * bench/dry-run/<name>/workspace/) when its dry run checks files it names.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";

import type { Bench, BenchContext, Row } from "./lib.ts";
import { bundlePath, formatBytes, median, run, tail, verdict } from "./lib.ts";

export const TARGET_RATIO = 1.5;

interface Subject {
  name: string;
  /** the plugin's dist/, for the dry-run subject */
  dist?: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  times: number[];
  hint?: string;
}

/** The first of plugins/<name>/<own> and bench/dry-run/<shared> that exists. */
function benchFile(root: string, plugin: string, own: string, shared: string): string | undefined {
  return [join(root, "plugins", plugin, own), join(root, "bench", "dry-run", shared)].find(existsSync);
}

function benchEnv(file: string | undefined): Record<string, string> {
  if (file === undefined) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file} must hold a JSON object of environment variables`);
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "object" && value !== null) env[key] = JSON.stringify(value);
    else env[key] = String(value);
  }
  return env;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/**
 * How busy the machine was: on a machine running more than it has cores, every process waits for
 * one, which adds the same to each subject and squeezes the ratios toward 1×, and the spread grows.
 * Such a figure is no measurement of the plugin; the row says so.
 */
function machineLoad(): string {
  const [load = 0] = loadavg();
  const cores = availableParallelism();
  const busy = load > cores ? " (busy: waits for a core are in every figure, ratios squeezed toward 1×)" : "";
  return `load average ${load.toFixed(1)} on ${cores} cores${busy}`;
}

/**
 * Bytes of code a plugin loads before it runs: its entry and the chunks those import statically
 * (scripts/build.ts emits `from"./chunk-….mjs"`), against all its code; the rest loads on first use.
 */
export function codeAtStart(dist: string): { atStart: number; total: number } {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(join(dist, file))) return;
    seen.add(file);
    const text = readFileSync(join(dist, file), "utf8");
    for (const m of text.matchAll(
      /(?:^|[;\s}])(?:import|export)\s*(?:[^"'();]*?\bfrom\s*)?["']\.\/([^"']+\.mjs)["']/gm,
    )) {
      if (m[1]) visit(m[1]);
    }
  };
  visit("index.mjs");
  const size = (f: string) => statSync(join(dist, f)).size;
  const all = readdirSync(dist).filter((f) => f.endsWith(".mjs"));
  return {
    atStart: [...seen].reduce((sum, f) => sum + size(f), 0),
    total: all.reduce((sum, f) => sum + size(f), 0),
  };
}

/** The subjects of one plugin: its dry run and its --help. */
function pluginSubjects(
  ctx: BenchContext,
  plugin: string,
  clean: NodeJS.ProcessEnv,
  scratch: string,
): Subject[] {
  const cwd = join(scratch, plugin);
  mkdirSync(cwd);
  const fixture = benchFile(ctx.root, plugin, "bench.workspace", join(plugin, "workspace"));
  if (fixture) cpSync(fixture, cwd, { recursive: true });
  const envFile = benchFile(ctx.root, plugin, "bench.env.json", `${plugin}.env.json`);
  const env = { ...clean, HOME: cwd, ...benchEnv(envFile), PLUGIN_DRY_RUN: "true" };
  const bundle = bundlePath(ctx.root, plugin);
  const hint = envFile
    ? undefined
    : `no dry-run settings: add plugins/${plugin}/bench.env.json or bench/dry-run/${plugin}.env.json`;
  return [
    { name: `${plugin} dry run`, args: [bundle], env, cwd, times: [], hint, dist: dirname(bundle) },
    { name: `${plugin} --help`, args: [bundle, "--help"], env: { ...clean, HOME: cwd }, cwd, times: [] },
  ];
}

export const coldStart: Bench = {
  name: "cold-start",
  title: `Cold start: node <bundle> (dry run, --help) vs node -e 0, side by side, target ≤ ${TARGET_RATIO}×`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const node = process.execPath;
    const scratch = mkdtempSync(join(tmpdir(), "hangar-bench-"));
    const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch };
    const rows: Row[] = [];
    try {
      const baseline: Subject = { name: "node -e 0", args: ["-e", "0"], env: clean, cwd: scratch, times: [] };
      let subjects: Subject[] = [baseline];
      for (const plugin of ctx.plugins) subjects.push(...pluginSubjects(ctx, plugin, clean, scratch));

      // Warm-up (file cache) and a check that each subject succeeds at all.
      const failed = new Set<Subject>();
      for (const s of subjects) {
        const r = await run(node, s.args, { env: s.env, cwd: s.cwd });
        if (r.code === 0) continue;
        failed.add(s);
        const why = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
        rows.push({
          subject: s.name,
          measured: "-",
          baseline: "-",
          target: `≤ ${TARGET_RATIO}×`,
          verdict: "FAIL",
          note: `failed (${why}): ${s.hint ? `${s.hint}. ` : ""}${tail(r.stderr || r.stdout)}`,
        });
      }
      if (failed.has(baseline)) return rows;
      subjects = subjects.filter((s) => !failed.has(s));

      // Interleaved rounds, rotating the order so no subject always runs first.
      for (let round = 0; round < ctx.runs; round++) {
        ctx.progress(`cold-start: round ${round + 1}/${ctx.runs}`);
        for (let i = 0; i < subjects.length; i++) {
          const s = subjects[(round + i) % subjects.length];
          if (s === undefined) continue;
          const r = await run(node, s.args, { env: s.env, cwd: s.cwd });
          if (r.code !== 0) throw new Error(`${s.name} failed in round ${round + 1}: ${tail(r.stderr)}`);
          s.times.push(r.millis);
        }
      }

      const base = median(baseline.times);
      const baseMin = Math.min(...baseline.times);
      rows.unshift({
        subject: baseline.name,
        measured: ms(base),
        baseline: "-",
        target: "-",
        verdict: "INFO",
        note: `${process.version}, ${ctx.runs} interleaved runs each, median; ${machineLoad()}`,
      });
      for (const s of subjects) {
        if (s === baseline) continue;
        const m = median(s.times);
        const ratio = m / base;
        const code = s.dist ? codeAtStart(s.dist) : undefined;
        const loads = code
          ? `; loads ${formatBytes(code.atStart)} of its ${formatBytes(code.total)} of code at start`
          : "";
        rows.push({
          subject: s.name,
          measured: ms(m),
          baseline: ms(base),
          ratio,
          target: `≤ ${TARGET_RATIO}×`,
          verdict: verdict(ratio, TARGET_RATIO),
          note: `min ${ms(Math.min(...s.times))} (${(Math.min(...s.times) / baseMin).toFixed(2)}× node's min), +${ms(m - base)} over node -e 0${loads}`,
        });
      }
      return rows;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
