/**
 * Which tags a release moves. For a version X.Y.Z the candidates are its own tag, `X.Y`, `X` (not for
 * 0.x: minor versions may break there) and `latest`; each moves only forward:
 *
 * - the version's own tag is pushed when absent, and replaces an existing one only with a newer build
 *   of the same version (its `created` label, the commit time, is later; the same revision re-pushes);
 * - `X.Y`, `X` and `latest` move only for an annotated git tag of a release (no pre-release) whose
 *   version is greater (semver) than the version the alias points to now, found by digest among the
 *   registry's version tags; `X.Y` and `X` compare within their line (1.1.5 moves `1.1`, not `1`);
 * - `force` moves them whatever the version or tag type; `skip` never moves them;
 * - a version with build metadata (`2.0.0+hotfix`, tag `2.0.0_hotfix`) moves none of them, not even
 *   with `force`: semver ignores build metadata when ordering, so `2.0.0+hotfix` counts as equal to
 *   `2.0.0` and, built from any commit, would take over `2.0.0`'s aliases on a re-run. It gets its
 *   own tag only.
 *
 * Pure: the caller reads the registry and git, this decides and says why.
 */
import { compareSemVer, parseSemVer, type SemVer, versionTag } from "./semver.ts";

export type AliasStrategy = "auto" | "force" | "skip";

export const ALIAS_STRATEGIES: readonly AliasStrategy[] = ["auto", "force", "skip"];

/** Who made an image: the commit (revision) and its time (created, ISO 8601). */
export interface BuildIdentity {
  revision?: string | undefined;
  created?: string | undefined;
}

export interface TagPolicyInput {
  /** The version being published ("1.2.3", "v1.2.3-rc.1", or a plain tag such as "nightly"). */
  version: string;
  /** Whether the git tag is annotated (`git cat-file -t refs/tags/<tag>` prints `tag`). */
  annotated: boolean;
  strategy: AliasStrategy;
  /** The build being published. */
  build: BuildIdentity;
  /** Every tag in the repository now, with the digest it points to. */
  tags: ReadonlyMap<string, string>;
  /** The build behind the version's own tag, when the registry has it. */
  existing?: BuildIdentity | undefined;
}

export interface TagDecision {
  tag: string;
  move: boolean;
  reason: string;
}

/** The highest version among the version tags that carry `digest`. */
export function versionAt(tags: ReadonlyMap<string, string>, digest: string): SemVer | undefined {
  let best: SemVer | undefined;
  for (const [tag, d] of tags) {
    if (d !== digest) continue;
    const v = parseSemVer(tag);
    if (v && (!best || compareSemVer(v, best) > 0)) best = v;
  }
  return best;
}

function time(value: string | undefined): number | undefined {
  const t = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}

function ownTag(tag: string, build: BuildIdentity, existing: BuildIdentity | undefined, present: boolean) {
  if (!present) return { tag, move: true, reason: "new" };
  const ours = time(build.created);
  const theirs = time(existing?.created);
  const short = (r: string | undefined) => (r ? r.slice(0, 12) : "unknown");
  if (existing?.revision && existing.revision === build.revision) {
    return {
      tag,
      move: true,
      reason: `same revision ${short(build.revision)}: re-pushed (same content, same digest)`,
    };
  }
  if (theirs === undefined) {
    return { tag, move: true, reason: "the registry's image has no created label: replaced" };
  }
  if (ours === undefined) {
    return {
      tag,
      move: false,
      reason: "this build has no created time to compare: the registry's image stays",
    };
  }
  if (ours > theirs) {
    return {
      tag,
      move: true,
      reason: `newer build: ${short(build.revision)} (${build.created}) replaces ${short(existing?.revision)} (${existing?.created})`,
    };
  }
  return {
    tag,
    move: false,
    reason: `the registry has a build as new or newer: ${short(existing?.revision)} (${existing?.created}) stays`,
  };
}

function alias(
  tag: string,
  version: SemVer,
  input: TagPolicyInput,
  own: TagDecision,
  line: (v: SemVer) => boolean,
): TagDecision {
  if (input.strategy === "skip") return { tag, move: false, reason: "strategy skip" };
  if (version.build) {
    return { tag, move: false, reason: `build metadata (+${version.build}) moves no alias, even with force` };
  }
  if (input.strategy === "force") return { tag, move: true, reason: "strategy force" };
  if (version.prerelease.length > 0) return { tag, move: false, reason: "a pre-release moves no alias" };
  if (!input.annotated)
    return { tag, move: false, reason: "lightweight git tag: only annotated tags move it" };
  if (!own.move) return { tag, move: false, reason: `${own.tag} itself stays` };
  const digest = input.tags.get(tag);
  if (digest === undefined) return { tag, move: true, reason: "new" };
  const current = versionAt(input.tags, digest);
  if (!current || !line(current)) {
    return {
      tag,
      move: false,
      reason: `points to ${digest.slice(0, 19)}, which no version tag of its line carries (strategy force takes it over)`,
    };
  }
  const order = compareSemVer(version, current);
  if (order > 0) return { tag, move: true, reason: `${version.text} > ${current.text}` };
  if (order === 0 && own.move && own.reason !== "new") {
    return { tag, move: true, reason: `same version ${current.text}, follows its tag` };
  }
  return {
    tag,
    move: false,
    reason: `stays on ${current.text} (${order === 0 ? "=" : ">"} ${version.text})`,
  };
}

/** The tags to push for a version, each with whether it moves and why, in order: own, X.Y, X, latest. */
export function planTags(input: TagPolicyInput): TagDecision[] {
  const version = parseSemVer(input.version);
  if (!version) {
    const tag = input.version;
    const own = ownTag(tag, input.build, input.existing, input.tags.has(tag));
    return [{ ...own, reason: `${own.reason} (not a semantic version: no alias moves)` }];
  }
  const tag = versionTag(version);
  const own = ownTag(tag, input.build, input.existing, input.tags.has(tag));
  const decisions: TagDecision[] = [own];
  if (version.prerelease.length === 0) {
    const { major, minor } = version;
    decisions.push(
      alias(`${major}.${minor}`, version, input, own, (v) => v.major === major && v.minor === minor),
    );
    if (major !== 0) decisions.push(alias(`${major}`, version, input, own, (v) => v.major === major));
  }
  decisions.push(alias("latest", version, input, own, () => true));
  return decisions;
}

/** Parses an alias strategy (e.g. from an environment variable); undefined and "" mean auto. */
export function parseAliasStrategy(value: string | undefined): AliasStrategy {
  const v = (value ?? "").trim().toLowerCase() || "auto";
  if (!(ALIAS_STRATEGIES as readonly string[]).includes(v)) {
    throw new Error(`unknown strategy '${value}': use one of ${ALIAS_STRATEGIES.join(", ")}`);
  }
  return v as AliasStrategy;
}
