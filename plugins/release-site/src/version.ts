/**
 * Semantic versions, as far as the site needs them: which is higher (so `latest.json` names the
 * highest and a backport does not move it) and which channel a version belongs to.
 */

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

export function parseSemver(text: string): Semver | undefined {
  const match = SEMVER.exec(text);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ? match[4].split(".") : [],
  };
}

export const isSemver = (text: string): boolean => parseSemver(text) !== undefined;

function compareIdentifiers(a: string, b: string): number {
  const numeric = (text: string) => /^\d+$/.test(text);
  if (numeric(a) && numeric(b)) return Math.sign(Number(a) - Number(b));
  if (numeric(a)) return -1;
  if (numeric(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver precedence; build metadata is ignored, text that is no version sorts lowest. */
export function compareVersions(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return x ? 1 : y ? -1 : a.localeCompare(b);
  for (const key of ["major", "minor", "patch"] as const) {
    if (x[key] !== y[key]) return Math.sign(x[key] - y[key]);
  }
  if (x.prerelease.length === 0 || y.prerelease.length === 0)
    return Math.sign(y.prerelease.length - x.prerelease.length);
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i++) {
    const p = x.prerelease[i];
    const q = y.prerelease[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const order = compareIdentifiers(p, q);
    if (order !== 0) return order;
  }
  return 0;
}

/** Newest first. */
export const newestFirst = (a: string, b: string): number => compareVersions(b, a);

/**
 * `auto`'s channel: a release goes to `stable`, `-beta…` and `-rc…` to `beta`, `-alpha…` and
 * anything else with a pre-release part (a branch build's `0.0.0-main.12`) to `alpha`.
 */
export function channelOf(version: string): { channel: "alpha" | "beta" | "stable"; reason: string } {
  const parsed = parseSemver(version);
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
