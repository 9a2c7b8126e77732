/**
 * Cold start: each plugin bundle in dry-run mode, run the way its image runs it
 * (`node index.mjs`), against bare `node -e 0`, same node binary, interleaved. The same bundle
 * with --enable-source-maps runs too, so the note shows what loading the map at start would cost
 * (the kit maps stack traces only when it prints an unexpected error).
 *
 * A plugin provides its dry-run settings in plugins/<name>/bench.env.json: a JSON object of
 * environment variables (PLUGIN_*, DRONE_* …). Each run gets a clean environment (PATH, HOME, those
 * variables, PLUGIN_DRY_RUN=true) and a temporary workspace as its working directory, empty but for
 * the files of plugins/<name>/bench.workspace/ when a plugin's dry run checks files it names
 * (compose-deploy's compose files).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bench, type BenchContext, bundlePath, median, type Row, run, tail, verdict } from "./lib.ts";

const TARGET_RATIO = 1.3;

interface Subject {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  times: number[];
  /** the same plugin with --enable-source-maps */
  mapped?: Subject;
  hint?: string;
}

function benchEnvFile(root: string, plugin: string): string {
  return join(root, "plugins", plugin, "bench.env.json");
}

function benchEnv(root: string, plugin: string): Record<string, string> {
  const file = benchEnvFile(root, plugin);
  if (!existsSync(file)) return {};
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

export const coldStart: Bench = {
  name: "cold-start",
  title: `Cold start: node <bundle> (dry run) vs node -e 0, target ≤ ${TARGET_RATIO}×`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const node = process.execPath;
    const workspace = mkdtempSync(join(tmpdir(), "hangar-bench-"));
    const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: workspace };
    const rows: Row[] = [];
    try {
      const baseline: Subject = { name: "node -e 0", args: ["-e", "0"], env: clean, times: [] };
      let subjects: Subject[] = [baseline];
      for (const plugin of ctx.plugins) {
        const fixture = join(ctx.root, "plugins", plugin, "bench.workspace");
        if (existsSync(fixture)) cpSync(fixture, workspace, { recursive: true });
        const env = { ...clean, ...benchEnv(ctx.root, plugin), PLUGIN_DRY_RUN: "true" };
        const bundle = bundlePath(ctx.root, plugin);
        const mapped: Subject = {
          name: `${plugin} (--enable-source-maps)`,
          args: ["--enable-source-maps", bundle],
          env,
          times: [],
        };
        const hint = existsSync(benchEnvFile(ctx.root, plugin))
          ? undefined
          : `plugins/${plugin}/bench.env.json is missing: it holds the settings a dry run needs`;
        subjects.push({ name: plugin, args: [bundle], env, times: [], mapped, hint }, mapped);
      }

      // Warm-up (file cache) and a check that each dry run succeeds at all. A plugin whose dry run
      // fails is dropped with its --enable-source-maps twin.
      const failed = new Set<Subject>();
      for (const s of subjects) {
        if (failed.has(s)) continue;
        const r = await run(node, s.args, { env: s.env, cwd: workspace });
        if (r.code === 0) continue;
        failed.add(s);
        if (s.mapped) failed.add(s.mapped);
        const why = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
        rows.push({
          subject: s.name,
          measured: "-",
          baseline: "-",
          target: `≤ ${TARGET_RATIO}×`,
          verdict: "FAIL",
          note: `dry run failed (${why}): ${s.hint ? `${s.hint}. ` : ""}${tail(r.stderr || r.stdout)}`,
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
          const r = await run(node, s.args, { env: s.env, cwd: workspace });
          if (r.code !== 0) throw new Error(`${s.name} failed in round ${round + 1}: ${tail(r.stderr)}`);
          s.times.push(r.millis);
        }
      }

      const base = median(baseline.times);
      rows.unshift({
        subject: baseline.name,
        measured: ms(base),
        baseline: "-",
        target: "-",
        verdict: "INFO",
        note: `${process.version}, ${ctx.runs} runs each`,
      });
      for (const s of subjects) {
        if (s === baseline || s.mapped === undefined) continue;
        const m = median(s.times);
        const ratio = m / base;
        const mapped = median(s.mapped.times);
        rows.push({
          subject: s.name,
          measured: ms(m),
          baseline: ms(base),
          ratio,
          target: `≤ ${TARGET_RATIO}×`,
          verdict: verdict(ratio, TARGET_RATIO),
          note: `min ${ms(Math.min(...s.times))}; with --enable-source-maps ${ms(mapped)} (${(mapped / base).toFixed(2)}×)`,
        });
      }
      return rows;
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  },
};
