/** The tags a build asks for, each with whether it moves and why (the policy of @hangar/oci). */
import { planTags, type TagDecision } from "@hangar/oci";
import type { PublishPlan } from "./plan.ts";

export function decideTags(
  plan: Pick<PublishPlan, "tags" | "tagType" | "latest" | "labels">,
  registryTags: ReadonlyMap<string, string>,
  existing: Parameters<typeof planTags>[0]["existing"],
): TagDecision[] {
  const decisions: TagDecision[] = [];
  const { version, aliases } = plan.tags;
  if (version && aliases !== "none") {
    const all = planTags({
      version,
      annotated: plan.tagType?.annotated ?? false,
      strategy: plan.latest,
      build: {
        revision: plan.labels["org.opencontainers.image.revision"],
        created: plan.labels["org.opencontainers.image.created"],
      },
      tags: registryTags,
      existing,
    });
    decisions.push(...(aliases === "all" ? all : all.filter((d) => d.tag === "latest")));
  } else if (aliases === "latest") {
    decisions.push(
      plan.latest === "force"
        ? { tag: "latest", move: true, reason: "latest force" }
        : { tag: "latest", move: false, reason: "no version on this build: only latest: force moves it" },
    );
  }
  for (const p of plan.tags.plain) {
    if (!decisions.some((d) => d.tag === p.tag)) decisions.push({ tag: p.tag, move: true, reason: p.why });
  }
  return decisions;
}
