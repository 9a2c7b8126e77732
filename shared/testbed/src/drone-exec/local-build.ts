import { chmod, cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import type { SimulatedBuild } from "./build.ts";
import { executePipeline, type StepReport } from "./execute.ts";
import type { PipelineStep } from "./pipeline.ts";

export interface LocalBuildOptions {
  /** The repository folder holding `.drone.yml`. */
  repository: string;
  build: SimulatedBuild;
  secrets?: Readonly<Record<string, string>>;
  variables?: Readonly<Record<string, string>>;
  /** Files the build's earlier, non-plugin steps would have made (`dist/app.apk`), relative paths. */
  buildOutputs?: Readonly<Record<string, string | Uint8Array>>;
  /** Local tag of hangar's images (default `dev`): `hangar/<plugin>:<tag>`. */
  imageTag?: string;
  /** The plugins this repository has (plugins/<name>): a step whose image names one is run. */
  plugins: readonly string[];
  /** Step name → settings that replace the file's, reported on the step (see executePipeline). */
  settingOverrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  onStep?: (report: StepReport) => void;
}

export interface LocalBuildResult {
  status: "success" | "failure";
  steps: StepReport[];
  /** The workspace the steps ran in (a copy of the repository). */
  workspace: string;
}

/**
 * Runs a repository's `.drone.yml` on this machine like `drone exec`: a copy of the repository is
 * the workspace, and each step whose image is one of hangar's plugins (`…/ci/<plugin>:<tag>`)
 * runs as the locally built `hangar/<plugin>:dev`; other steps are listed as not run.
 */
export async function runLocalBuild(options: LocalBuildOptions): Promise<LocalBuildResult> {
  const workspace = await mkdtemp(path.join(tmpdir(), "hangar-build-"));
  await cp(options.repository, workspace, { recursive: true });
  for (const [file, content] of Object.entries(options.buildOutputs ?? {})) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
    await writeFile(path.join(workspace, file), content);
  }
  // The images run as uid 1000; Drone's clone step leaves a workspace they may write to.
  await chmod(workspace, 0o777);
  const pipeline = await readFile(path.join(options.repository, ".drone.yml"), "utf8");
  const result = await executePipeline({
    pipeline,
    build: options.build,
    workspace,
    secrets: options.secrets ?? {},
    ...(options.variables ? { variables: options.variables } : {}),
    image: (step) => localImage(step, options.plugins, options.imageTag ?? "dev"),
    ...(options.settingOverrides ? { settingOverrides: options.settingOverrides } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
  return { ...result, workspace };
}

/** `git.example.com/ci/compose-deploy:1` → `hangar/compose-deploy:dev`, for hangar's plugins only. */
export function localImage(step: PipelineStep, plugins: readonly string[], tag: string): string | undefined {
  const last = step.image.split("/").pop() ?? "";
  const name = last.split(/[:@]/)[0] ?? "";
  return plugins.includes(name) ? `hangar/${name}:${tag}` : undefined;
}

/** A secrets file in dotenv form (`vps_ssh_key="-----BEGIN…\n…"`), as `drone exec --secret-file` reads one. */
export async function readSecretsFile(file: string): Promise<Record<string, string>> {
  return parseEnv(await readFile(file, "utf8")) as Record<string, string>;
}

/** The table a build ends with: each step, its image, outcome and time. */
export function stepTable(steps: readonly StepReport[]): string {
  const rows = steps.map((step) => [
    step.name,
    step.image,
    [
      step.why ? `${step.outcome} (${step.why})` : step.outcome,
      step.overridden ? `[set here: ${step.overridden.join(", ")}]` : "",
    ]
      .filter(Boolean)
      .join(" "),
    step.durationMs > 0 ? `${(step.durationMs / 1000).toFixed(1)}s` : "",
  ]);
  const header = ["step", "image", "outcome", "time"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "─".repeat(width))), ...rows.map(line)].join("\n");
}
