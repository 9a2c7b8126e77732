import { compareSemVer, parseSemVer, type SemVer } from "@hangar/oci";

/**
 * Semantic versions, as far as the site needs them: which is higher (so `latest.json` names the
 * highest and a backport does not move it) and which channel a version belongs to.
 */

/**
 * A version as the site writes it into keys: digits first (the tag's `v` is dropped before) and
 * no `_` (which @hangar/oci reads as an image tag's spelling of `+`).
 */
function parseVersion(text: string): SemVer | undefined {
  return /^\d[^_]*$/.test(text) ? parseSemVer(text) : undefined;
}

export const isSemver = (text: string): boolean => parseVersion(text) !== undefined;

/** Semver precedence; build metadata is ignored, text that is no version sorts lowest. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : a.localeCompare(b);
  return compareSemVer(x, y);
}

/** Newest first. */
export const newestFirst = (a: string, b: string): number => compareVersions(b, a);

/**
 * `auto`'s channel: a release goes to `stable`, `-beta…` and `-rc…` to `beta`, `-alpha…` and
 * anything else with a pre-release part (a branch build's `0.0.0-main.12`) to `alpha`.
 */
export function channelOf(version: string): { channel: "alpha" | "beta" | "stable"; reason: string } {
  const parsed = parseVersion(version);
  const first = parsed?.prerelease[0]?.toLowerCase() ?? "";
  if (parsed && parsed.prerelease.length === 0) return { channel: "stable", reason: "a release version" };
  if (/^(beta|rc)/.test(first)) return { channel: "beta", reason: `a ${first.replace(/\d+$/, "")} version` };
  if (/^alpha/.test(first)) return { channel: "alpha", reason: "an alpha version" };
  return { channel: "alpha", reason: "a branch build" };
}

/**
 * The default version: the tag without a leading `v`, else `0.0.0-<branch>.<build>` with the
 * branch made a valid pre-release identifier (`feature/login` → `feature-login`).
 */
export function defaultVersion(build: {
  tag?: string | undefined;
  branch: string;
  number?: number | undefined;
}): string {
  if (build.tag) return build.tag.replace(/^v(?=\d)/, "");
  const branch =
    build.branch
      .replace(/[^0-9A-Za-z-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .replace(/^0+(?=\d+$)/, "") || "build";
  return `0.0.0-${branch}.${build.number ?? 0}`;
}
