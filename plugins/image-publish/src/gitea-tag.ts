/**
 * Whether the build's tag is annotated, asked of Gitea when the clone holds no tag object (a
 * shallow clone, or one without tags): GET /api/v1/repos/{owner}/{repo}/tags/{tag} names the tag
 * object as `id` for an annotated tag and the commit itself for a lightweight one.
 */
import { HangarError } from "@hangar/kit";
import type { GiteaTagLookup } from "./plan.ts";
import type { TagType } from "./tags.ts";

export async function giteaTagType(
  lookup: GiteaTagLookup,
  fetchImpl: typeof fetch,
  timeoutMs: number,
): Promise<TagType> {
  const path = ["repos", lookup.owner, lookup.repo, "tags", lookup.tag].map(encodeURIComponent).join("/");
  const where = `${lookup.url}/api/v1/repos/${lookup.owner}/${lookup.repo}/tags/${lookup.tag}`;
  let response: Response;
  try {
    response = await fetchImpl(`${lookup.url}/api/v1/${path}`, {
      headers: { authorization: `token ${lookup.token}`, accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new HangarError(
      "E_GITEA",
      `GET ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: "Check gitea_url, or set tag_type instead of asking Gitea.",
      },
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return { annotated: false, why: `Gitea has no tag ${lookup.tag}: counted as lightweight` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HangarError("E_GITEA", `GET ${where} answered ${response.status}`, {
      hint: "Check that gitea_token may read the repository, or set tag_type instead of asking Gitea.",
    });
  }
  const tag = (await response.json()) as { id?: string; commit?: { sha?: string } };
  const annotated = Boolean(tag.id && tag.commit?.sha && tag.id !== tag.commit.sha);
  return { annotated, why: `${annotated ? "annotated" : "lightweight"} git tag (asked of Gitea)` };
}
