/**
 * Which tags a build asks for, before the registry is read: on a tag build `vX.Y.Z` the version
 * (its own tag, `X.Y`, `X` and `latest`, each moved by the forward-only policy of @hangar/oci);
 * on another event the branch and the commit; or the `tags` setting. Whether the git tag is
 * annotated is read from the workspace's clone.
 */
import { execFileSync } from "node:child_process";
import type { BuildContext } from "@hangar/kit";
import { isValidTag, parseSemVer } from "@hangar/oci";

export interface TagRequest {
  /** The semantic version of the build's git tag, without a leading "v"; the policy decides its tags. */
  version?: string | undefined;
  /** Whether the policy's aliases (`X.Y`, `X`, `latest`) are wanted, or `latest` alone (named in `tags`). */
  aliases: "all" | "latest" | "none";
  /** Tags pushed as they are (branch, commit, named ones), each with why. */
  plain: { tag: string; why: string }[];
}

/** The git tag's version, when it is a semantic version ("v1.2.3" → "1.2.3"). */
export function versionOf(gitTag: string | undefined): string | undefined {
  if (!gitTag) return undefined;
  const v = gitTag.replace(/^v(?=\d)/, "");
  return parseSemVer(v) ? v : undefined;
}

/** An image tag from a branch name: `feature/Login` → `feature-login` (at most 128 characters). */
export function branchTag(branch: string): string {
  return (
    branch
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, "-")
      .replace(/^[-.]+|-+$/g, "")
      .slice(0, 128) || "branch"
  );
}

export function requestTags(tags: string[] | undefined, build: BuildContext): TagRequest {
  const gitTag = build.commit.tag;
  const version = versionOf(gitTag);
  if (tags !== undefined) {
    return {
      version,
      aliases: tags.includes("latest") ? "latest" : "none",
      plain: tags.filter((t) => t !== "latest").map((tag) => ({ tag, why: "named in tags" })),
    };
  }
  if (version) return { version, aliases: "all", plain: [] };
  if (gitTag)
    return { aliases: "none", plain: [{ tag: gitTag, why: "the git tag (not a semantic version)" }] };
  const plain: TagRequest["plain"] = [];
  if (build.commit.branch)
    plain.push({ tag: branchTag(build.commit.branch), why: `branch ${build.commit.branch}` });
  if (build.commit.sha) plain.push({ tag: `sha-${build.commit.sha.slice(0, 7)}`, why: "the commit" });
  return { aliases: "none", plain };
}

/** Tags that cannot be image tags (the distribution spec's grammar). */
export function invalidTags(request: TagRequest): string[] {
  return request.plain.map((p) => p.tag).filter((t) => !isValidTag(t));
}

export interface TagType {
  annotated: boolean;
  why: string;
  /** False when the clone holds no such tag (Gitea may then be asked). */
  inClone?: boolean;
}

/** Annotated or lightweight: the setting, else `git cat-file -t refs/tags/<tag>` in the workspace. */
export function readTagType(
  workspace: string,
  gitTag: string,
  setting?: "annotated" | "lightweight",
): TagType {
  if (setting) return { annotated: setting === "annotated", why: `${setting} (tag_type)` };
  let type: string | undefined;
  try {
    type = execFileSync("git", ["-C", workspace, "cat-file", "-t", `refs/tags/${gitTag}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    type = undefined;
  }
  if (type === undefined) {
    return {
      annotated: false,
      why: `refs/tags/${gitTag} is not in the clone: counted as lightweight (fetch tags, set gitea_url, or set tag_type)`,
      inClone: false,
    };
  }
  return type === "tag"
    ? { annotated: true, why: "annotated git tag" }
    : { annotated: false, why: "lightweight git tag" };
}

/** The commit's time in seconds: SOURCE_DATE_EPOCH when set, else the committer time of HEAD. */
export function commitEpoch(
  workspace: string,
  env: Readonly<Record<string, string | undefined>>,
): { epoch: number; why: string } {
  const given = env.SOURCE_DATE_EPOCH;
  if (given !== undefined && /^\d+$/.test(given)) return { epoch: Number(given), why: "SOURCE_DATE_EPOCH" };
  try {
    const out = execFileSync("git", ["-C", workspace, "show", "-s", "--format=%ct", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (/^\d+$/.test(out)) return { epoch: Number(out), why: "the commit's time" };
  } catch {
    // not a git clone
  }
  return { epoch: 0, why: "no commit in the workspace and no SOURCE_DATE_EPOCH: 1970-01-01" };
}
