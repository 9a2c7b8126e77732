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
      // The token is for this Gitea only: a redirect elsewhere is an answer to refuse, not follow.
      redirect: "manual",
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
  // A tag's JSON is a few hundred bytes: an endless or huge answer is refused, not buffered.
  const text = await cappedText(response, MAX_ANSWER_BYTES);
  if (text === undefined)
    throw new HangarError("E_GITEA", `GET ${where} answered more than ${MAX_ANSWER_BYTES} bytes`, {
      hint: "Check that gitea_url is Gitea's address, or set tag_type instead of asking Gitea.",
    });
  let tag: { id?: unknown; commit?: { sha?: unknown } };
  try {
    tag = JSON.parse(text);
  } catch {
    throw new HangarError("E_GITEA", `GET ${where} answered something that is not JSON`, {
      hint: "Check that gitea_url is Gitea's address, or set tag_type instead of asking Gitea.",
    });
  }
  const annotated =
    typeof tag?.id === "string" && typeof tag.commit?.sha === "string" && tag.id !== tag.commit.sha;
  return { annotated, why: `${annotated ? "annotated" : "lightweight"} git tag (asked of Gitea)` };
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** The body as text, or undefined once it passes `max` bytes (read no further). */
async function cappedText(response: Response, max: number): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > max) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
