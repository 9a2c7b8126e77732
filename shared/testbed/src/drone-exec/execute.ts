import type { DroneStepOptions, DroneStepResult } from "../drone-step.ts";
import { buildFacts, buildVariables, type SimulatedBuild } from "./build.ts";
import { runContainer } from "./container.ts";
import { encodeEnvironment, encodeSettings } from "./encode.ts";
import { type PipelineStep, readPipeline } from "./pipeline.ts";
import { stepRuns } from "./when.ts";

export type StepOutcome = "success" | "failure" | "skipped" | "not run";

export interface StepReport {
  name: string;
  image: string;
  outcome: StepOutcome;
  /** Why a step was skipped or not run. */
  why?: string;
  /** Parts of the step's `when` this runner could not evaluate as Drone would, and how it treated them. */
  notes?: string[];
  durationMs: number;
  exitCode?: number;
  /** Settings the run replaced (`settingOverrides`), so a table can say the step is not as written. */
  overridden?: string[];
  stdout?: string;
  stderr?: string;
}

export interface ExecuteOptions {
  /** The `.drone.yml` text. */
  pipeline: string;
  build: SimulatedBuild;
  /** Host folder mounted as the workspace (the repository's files). */
  workspace: string;
  /** `from_secret` values. */
  secrets: Readonly<Record<string, string>>;
  /** More variables for the YAML's `${…}` substitution, as `drone exec --env-file` gives them. */
  variables?: Readonly<Record<string, string>>;
  /** The local image for a step's image, or undefined for a step this runner does not run. */
  image: (step: PipelineStep) => string | undefined;
  /**
   * Step name → settings that replace the file's (a demo's stand-in device needs another Appium
   * driver than the real one). Reported on the step, never silent.
   */
  settingOverrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Runs one step's container (default: through the Docker Engine's API, see container.ts). */
  runStep?: (options: DroneStepOptions) => Promise<DroneStepResult>;
  onStep?: (report: StepReport) => void;
  timeoutMs?: number;
}

/**
 * Runs a pipeline's plugin steps in order the way Drone does: `when` decides each step against
 * the build and its status so far, a failed step makes the build a failure (so later
 * `status: [failure]` steps run), and each plugin gets its settings as `PLUGIN_*`, its
 * `environment:` and the build's `DRONE_*` variables, with the workspace mounted.
 */
export async function executePipeline(
  options: ExecuteOptions,
): Promise<{ status: "success" | "failure"; steps: StepReport[] }> {
  const { build } = options;
  const vars = { ...buildVariables(build, "success", []), ...options.variables };
  const pipeline = readPipeline(options.pipeline, vars);
  const run = options.runStep ?? runContainer;
  const failed: string[] = [];
  const steps: StepReport[] = [];
  const report = (step: StepReport) => {
    steps.push(step);
    options.onStep?.(step);
  };
  for (const [index, step] of pipeline.steps.entries()) {
    const status = failed.length > 0 ? "failure" : "success";
    const decision = stepRuns(step.when, buildFacts(build, status));
    const notes = decision.notes.length > 0 ? { notes: decision.notes } : {};
    if (!decision.runs) {
      report({
        name: step.name,
        image: step.image,
        outcome: "skipped",
        why: decision.why,
        ...notes,
        durationMs: 0,
      });
      continue;
    }
    const image = options.image(step);
    if (!image) {
      report({
        name: step.name,
        image: step.image,
        outcome: "not run",
        why: "not a hangar plugin",
        ...notes,
        durationMs: 0,
      });
      continue;
    }
    const secret = (name: string) => options.secrets[name];
    const overrides = options.settingOverrides?.[step.name] ?? {};
    const overridden = Object.keys(overrides);
    const settings = encodeSettings({ ...step.settings, ...overrides }, secret);
    const environment = encodeEnvironment(step.environment, secret);
    const env = {
      ...buildVariables(build, status, failed),
      DRONE_STEP_NAME: step.name,
      DRONE_STEP_NUMBER: String(index + 1),
      ...environment.env,
      ...settings.env,
    };
    const started = Date.now();
    const result = await run({
      image,
      env,
      workspace: options.workspace,
      timeoutMs: options.timeoutMs ?? 300_000,
    });
    const outcome = result.exitCode === 0 ? "success" : "failure";
    if (outcome === "failure") failed.push(step.name);
    const missing = [...settings.missingSecrets, ...environment.missingSecrets];
    report({
      name: step.name,
      image: step.image,
      outcome,
      ...(missing.length > 0 ? { why: `secrets not in the secrets file: ${missing.join(", ")}` } : {}),
      ...notes,
      durationMs: Date.now() - started,
      exitCode: result.exitCode,
      ...(overridden.length > 0 ? { overridden } : {}),
      stdout: result.stdout,
      stderr: result.stderr,
    });
  }
  return { status: failed.length > 0 ? "failure" : "success", steps };
}
