/**
 * Runs the benchmarks and prints one table per bench (`pnpm bench`).
 *
 *   node bench/run.ts [plugin...] [--runs=N] [--only=cold-start,image-size] [--no-build] [--strict]
 *
 * Bundles the plugins first (scripts/build.ts) unless --no-build. Ratios are measured side by side in
 * this run; they are not promises about another machine. OVER a target is reported but fails the
 * process only with --strict; a subject that breaks (FAIL) always fails it.
 */
import { parseArgs } from "node:util";
import { bundlePlugins } from "../scripts/build.ts";
import { coldStart } from "./cold-start.ts";
import { composeDeploy, composeDeployUnderLoad } from "./compose-deploy.ts";
import { emulatorE2eBench } from "./emulator-e2e.ts";
import { giteaUpload } from "./gitea-upload.ts";
import { imagePublishBench } from "./image-publish.ts";
import { imageSize } from "./image-size.ts";
import { k3sRollout } from "./k3s-rollout.ts";
import { type Bench, type BenchContext, bundledPlugins, ROOT, type Row } from "./lib.ts";
import { proxmoxVmBench } from "./proxmox-vm.ts";
import { releaseSiteBench } from "./release-site.ts";

const BENCHES: Bench[] = [
  coldStart,
  imageSize,
  giteaUpload,
  composeDeploy,
  composeDeployUnderLoad,
  k3sRollout,
  proxmoxVmBench,
  emulatorE2eBench,
  imagePublishBench,
  releaseSiteBench,
];

function table(rows: Row[]): string {
  const header = ["", "subject", "measured", "baseline", "ratio", "target", "note"];
  const cells = rows.map((r) => [
    r.verdict,
    r.subject,
    r.measured,
    r.baseline,
    r.ratio === undefined ? "-" : r.ratio < 0.01 ? r.ratio.toExponential(1) : `${r.ratio.toFixed(2)}×`,
    r.target,
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: "string", default: "15" },
      only: { type: "string" },
      "no-build": { type: "boolean", default: false },
      strict: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown bench ${unknown.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}`);
  }

  if (!values["no-build"]) {
    process.stderr.write("bundling the plugins …\n");
    await bundlePlugins(positionals);
  }
  const plugins = positionals.length > 0 ? positionals : bundledPlugins(ROOT);
  if (plugins.length === 0) throw new Error("no plugin bundles (plugins/*/dist/index.mjs); run pnpm build");

  const ctx: BenchContext = {
    root: ROOT,
    plugins,
    runs,
    progress: (line) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    },
  };
  const all: Row[] = [];
  for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
    const rows = await bench.run(ctx);
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    console.log(`\n${bench.title}\n${table(rows)}`);
    all.push(...rows);
  }

  const count = (v: Row["verdict"]) => all.filter((r) => r.verdict === v).length;
  console.log(
    `\n${count("PASS")} pass, ${count("OVER")} over target, ${count("FAIL")} failed, ${count("SKIP")} skipped` +
      (count("OVER") > 0 && !values.strict ? " (over target fails only with --strict)" : ""),
  );
  for (const r of all.filter((r) => r.verdict === "SKIP"))
    console.warn(`SKIPPED ${r.subject}: ${r.note ?? ""}`);
  return count("FAIL") > 0 || (values.strict && count("OVER") > 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
