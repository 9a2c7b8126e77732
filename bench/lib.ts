/**
 * What every bench shares. A bench measures a subject against a baseline in the same run (these
 * machines are noisy, so only ratios measured side by side mean anything) and returns rows; run.ts
 * prints them. Add a bench: a module exporting a `Bench`, listed in run.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** PASS/OVER: against a target. INFO: no target. SKIP: could not measure. FAIL: the subject broke. */
export type Verdict = "PASS" | "OVER" | "INFO" | "SKIP" | "FAIL";

export interface Row {
  subject: string;
  measured: string;
  baseline: string;
  /** measured / baseline, when a ratio makes sense */
  ratio?: number;
  target: string;
  verdict: Verdict;
  note?: string;
}

export interface BenchContext {
  root: string;
  /** plugins with a bundle at plugins/<name>/dist/index.mjs */
  plugins: string[];
  /** measured runs per subject (timing benches) */
  runs: number;
  /** progress output (stderr), so stdout is just the tables */
  progress(line: string): void;
}

export interface Bench {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
}

export function verdict(ratioOrValue: number, limit: number): Verdict {
  return ratioOrValue <= limit ? "PASS" : "OVER";
}

export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

export function bundlePath(root: string, plugin: string): string {
  return join(root, "plugins", plugin, "dist", "index.mjs");
}

export function bundledPlugins(root: string): string[] {
  const dir = join(root, "plugins");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(bundlePath(root, d.name)))
    .map((d) => d.name)
    .sort();
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** wall time from spawn to exit, milliseconds */
  millis: number;
}

/** Runs a command (argument array, no shell) and times it from spawn to exit. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const millis = Number(process.hrtime.bigint() - started) / 1e6;
      resolvePromise({
        code,
        signal,
        millis,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** The last lines of a process's output, for error rows. */
export function tail(text: string, lines = 3): string {
  return text.trim().split("\n").slice(-lines).join(" | ");
}

/**
 * Peak RSS of a Node process, read by the kernel's count: run it as `node --import <module> …`,
 * then `read()` gives the bytes of the run that ended last (and forgets it, so a run that died
 * before writing cannot pass off the previous one's figure).
 */
export async function peakRssProbe(dir: string): Promise<{ module: string; read(): Promise<number> }> {
  const module = join(dir, "max-rss.mjs");
  const file = join(dir, "max-rss");
  await writeFile(
    module,
    `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(file)}, String(process.resourceUsage().maxRSS * 1024)));\n`,
  );
  return {
    module,
    async read() {
      const bytes = Number(await readFile(file, "utf8"));
      await rm(file);
      return bytes;
    },
  };
}

/** The row of a transfer bench's memory: the highest peak RSS of its runs against a fixed ceiling. */
export function peakRssRow(subject: string, rss: number, size: number, ceiling: number, note: string): Row {
  return {
    subject,
    measured: formatBytes(rss),
    baseline: formatBytes(size),
    ratio: rss / size,
    target: `≤ ${formatBytes(ceiling)}`,
    verdict: rss <= ceiling ? "PASS" : "OVER",
    note,
  };
}
