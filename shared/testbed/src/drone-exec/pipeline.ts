import { parseAllDocuments } from "yaml";
import { substitute } from "./substitute.ts";
import type { When } from "./when.ts";

export interface PipelineStep {
  name: string;
  image: string;
  settings?: Record<string, unknown>;
  environment?: Record<string, unknown>;
  commands?: string[];
  when?: When;
}

export interface Pipeline {
  name: string;
  steps: PipelineStep[];
}

/**
 * The first `kind: pipeline` of type docker in a `.drone.yml`, after Drone's `${VAR}`
 * substitution with the build's variables (and any others given, as `drone exec --env-file` does).
 */
export function readPipeline(text: string, vars: Readonly<Record<string, string | undefined>>): Pipeline {
  const documents = parseAllDocuments(substitute(text, vars));
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`.drone.yml: ${document.errors[0]?.message}`);
    const value = document.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
    if (value?.kind !== "pipeline" || (value.type ?? "docker") !== "docker") continue;
    const steps = value.steps;
    if (!Array.isArray(steps)) throw new Error(`.drone.yml: pipeline "${String(value.name)}" has no steps`);
    const problems: string[] = [];
    for (const [index, step] of steps.entries()) {
      if (typeof step?.name !== "string") problems.push(`step ${index + 1} has no name`);
      if (typeof step?.image !== "string") problems.push(`step ${step?.name ?? index + 1} has no image`);
    }
    if (problems.length > 0) throw new Error(`.drone.yml: ${problems.join("; ")}`);
    return { name: String(value.name ?? "default"), steps: steps as PipelineStep[] };
  }
  throw new Error(".drone.yml holds no `kind: pipeline` of type docker");
}

/**
 * The steps in a snippet of `.drone.yml` as docs show them: whole pipelines, a `steps:` list,
 * a bare list of steps or one step; anything without an `image` is left out.
 */
export function stepsInSnippet(
  text: string,
  vars: Readonly<Record<string, string | undefined>>,
): PipelineStep[] {
  const steps: PipelineStep[] = [];
  for (const document of parseAllDocuments(substitute(text, vars))) {
    if (document.errors.length > 0) throw new Error(document.errors[0]?.message);
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    const list = Array.isArray(value) ? value : ((value as { steps?: unknown } | null)?.steps ?? [value]);
    for (const step of Array.isArray(list) ? list : []) {
      if (step && typeof step === "object" && typeof (step as PipelineStep).image === "string") {
        steps.push(step as PipelineStep);
      }
    }
  }
  return steps;
}
