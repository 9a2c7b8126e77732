import path from "node:path";

/** One condition as `.drone.yml` writes it: a list (or one value) to include, or include/exclude lists. */
export type Condition = string | string[] | { include?: string | string[]; exclude?: string | string[] };

export interface When {
  branch?: Condition;
  event?: Condition;
  ref?: Condition;
  status?: Condition;
  repo?: Condition;
  target?: Condition;
  instance?: Condition;
  action?: Condition;
  cron?: Condition;
}

export interface BuildFacts {
  /** Empty on tag events: Drone has no branch for a tag. */
  branch: string;
  event: string;
  ref: string;
  repo: string;
  /** `success` until a step fails, then `failure`. */
  status: "success" | "failure";
  target?: string;
}

const list = (value: string | string[] | undefined) =>
  value === undefined ? [] : [value].flat().map(String);

/**
 * Drone's rule: every condition given must match. A value matches an include list (or any
 * value, when there is none) and no exclude pattern; branch, ref, repo and target are globs.
 * Without a `status` condition a step runs only while the build is a success.
 */
export function stepRuns(when: When | undefined, build: BuildFacts): { runs: boolean; why: string } {
  const conditions: [keyof When, string, boolean][] = [
    ["branch", build.branch, true],
    ["event", build.event, false],
    ["ref", build.ref, true],
    ["repo", build.repo, true],
    ["target", build.target ?? "", true],
  ];
  for (const [name, actual, glob] of conditions) {
    const condition = when?.[name];
    if (condition === undefined) continue;
    if (!matches(condition, actual, glob))
      return { runs: false, why: `${name} ${actual ? `"${actual}"` : "(none)"} does not match` };
  }
  const status = when?.status === undefined ? ["success"] : normalise(when.status).include;
  if (status.length > 0 && !status.includes(build.status))
    return { runs: false, why: `build is a ${build.status}` };
  return { runs: true, why: "" };
}

function normalise(condition: Condition): { include: string[]; exclude: string[] } {
  if (typeof condition === "string" || Array.isArray(condition))
    return { include: list(condition), exclude: [] };
  return { include: list(condition.include), exclude: list(condition.exclude) };
}

function matches(condition: Condition, actual: string, glob: boolean): boolean {
  const { include, exclude } = normalise(condition);
  const hit = (pattern: string) =>
    glob ? actual !== "" && path.matchesGlob(actual, pattern) : actual === pattern;
  if (exclude.some(hit)) return false;
  return include.length === 0 || include.some(hit);
}
