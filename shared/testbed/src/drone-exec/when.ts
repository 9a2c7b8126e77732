import { droneMatch } from "./glob.ts";

/** A step's `when:` as `.drone.yml` writes it; each value is read the way Drone reads a condition. */
export type When = Partial<Record<(typeof FIELDS)[number] | "status" | "paths", unknown>>;

/** The fields Drone's runner matches, in its order (runner-go manifest.Conditions.Match). */
const FIELDS = ["cron", "ref", "repo", "instance", "target", "event", "branch", "action"] as const;

export interface BuildFacts {
  /** Empty on tag events: Drone has no branch for a tag. */
  branch: string;
  event: string;
  ref: string;
  repo: string;
  /** `success` until a step fails, then `failure`. */
  status: "success" | "failure";
  /** The deployment target (promote/rollback); empty otherwise. */
  target?: string;
  /** The cron job's name; empty on a build that is not a cron build, unknown when not given. */
  cron?: string;
  /** The hook's action (`opened`, `synchronized`, …); unknown when not given. */
  action?: string;
  /** The Drone server's host name (`when.instance`); unknown when not given. */
  instance?: string;
}

/** How a build fact that this runner was not told is asked for, for the note. */
const ASK: Partial<Record<keyof BuildFacts, string>> = {
  cron: "--cron NAME",
  action: "--action NAME",
  instance: "--instance HOST",
};

/** One condition as Drone holds it after reading the YAML. */
export interface Condition {
  include: string[];
  exclude: string[];
}

/**
 * A condition's value as Drone's YAML reading turns it into include/exclude lists (runner-go
 * manifest.Condition.UnmarshalYAML): a scalar is a one-item include list, a list is the include
 * list, a map gives `include` and `exclude` lists; anything else (no value at all, `include:`
 * given as a scalar, unknown keys) gives nothing, and an empty condition matches everything.
 */
export function readCondition(value: unknown): Condition {
  if (value === null || value === undefined) return { include: [], exclude: [] };
  if (typeof value !== "object") return { include: [String(value)], exclude: [] };
  if (Array.isArray(value)) return { include: scalars(value), exclude: [] };
  const map = value as Record<string, unknown>;
  return { include: scalars(map.include), exclude: scalars(map.exclude) };
}

/** A YAML list read into Go's []string: every item a scalar, or (a type error) nothing at all. */
function scalars(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  if (value.some((item) => item !== null && typeof item === "object")) return [];
  return value.map((item) => (item === null || item === undefined ? "" : String(item)));
}

/** Drone's Condition.Match: no exclude pattern matches, and an include pattern does (or there is none). */
export function conditionMatches(condition: Condition, value: string): boolean {
  if (condition.exclude.some((pattern) => droneMatch(pattern, value))) return false;
  return condition.include.length === 0 || condition.include.some((pattern) => droneMatch(pattern, value));
}

const given = (condition: Condition) => condition.include.length > 0 || condition.exclude.length > 0;

export interface StepDecision {
  runs: boolean;
  /** Why a step does not run. */
  why: string;
  /** What this runner could not evaluate the way Drone would, and what it did instead. */
  notes: string[];
}

/**
 * Drone's rule (drone-runner-docker's compiler): every condition must match the build, each value
 * a glob pattern (branch, event, ref, repo, target, instance, cron, action alike). `status`
 * decides only the run policy: a step whose status condition matches `failure` runs after a
 * failure (and also on success when it matches `success` too); any other step runs only while
 * the build is a success. Facts this runner is not told (the cron job, the hook's action, the
 * Drone server's host) are never guessed: a step conditioned on one is skipped, with a note.
 */
export function stepRuns(when: When | undefined, build: BuildFacts): StepDecision {
  const notes: string[] = [];
  if (given(readCondition(when?.paths)))
    notes.push(
      "when.paths is not evaluated here (Drone leaves it to a conversion extension): treated as met",
    );
  for (const field of FIELDS) {
    const condition = readCondition(when?.[field]);
    if (!given(condition)) continue;
    const actual = build[field] ?? (field === "target" ? "" : undefined);
    if (actual === undefined) {
      const why = `when.${field} cannot be evaluated here (give ${ASK[field]}): skipped`;
      return { runs: false, why, notes: [...notes, why] };
    }
    if (!conditionMatches(condition, actual))
      return { runs: false, why: `${field} ${actual ? `"${actual}"` : "(none)"} does not match`, notes };
  }
  const status = readCondition(when?.status);
  const onFailure = given(status) && conditionMatches(status, "failure");
  const onSuccess = !onFailure || conditionMatches(status, "success");
  const runs = build.status === "failure" ? onFailure : onSuccess;
  return runs ? { runs, why: "", notes } : { runs, why: `build is a ${build.status}`, notes };
}
