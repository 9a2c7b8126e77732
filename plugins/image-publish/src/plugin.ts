import { formatBytes, formatRate, type PluginDefinition, type RunResult } from "@hangar/kit";
import { checkSettings } from "./check.ts";
import { describePlan } from "./describe.ts";
import { type PublishPlan, planPublish } from "./plan.ts";
import { type ImagePublishSchema, imagePublishSettings } from "./settings.ts";

export const imagePublish: PluginDefinition<ImagePublishSchema, PublishPlan> = {
  name: "image-publish",
  description:
    "Build the app's multi-platform image by appending a reproducible layer to a base (or merge per-platform images) and publish it through the registry API: no Docker daemon, QEMU or privileges; latest moves only forward.",
  settings: imagePublishSettings,
  check: checkSettings,
  plan: planPublish,
  describe: describePlan,

  async run(plan, { log, fetch }): Promise<RunResult> {
    // The registry work is loaded when the image is made, so a dry run or a settings error does not pay for it.
    const { publishImage } = await import("./publish.ts");
    log.info(describePlan(plan));
    const result = await publishImage(plan, log, fetch);
    const moved = result.decisions.filter((d) => d.move).map((d) => d.tag);
    const kept = result.decisions.filter((d) => !d.move);
    const ref = `${plan.repo}@${result.digest}`;
    const sent =
      result.uploaded.bytes > 0
        ? `${formatBytes(result.uploaded.bytes)} in ${result.uploaded.blobs} blob${result.uploaded.blobs === 1 ? "" : "s"} at ${formatRate((result.uploaded.bytes * 1000) / Math.max(result.uploaded.ms, 1))}`
        : result.mounted !== undefined
          ? `nothing (${result.mounted} blob${result.mounted === 1 ? "" : "s"} mounted from the sources)`
          : "nothing (the registry had every blob)";
    return {
      summary: `${ref} for ${result.platforms.join(", ")}; tags ${moved.join(", ") || "none"}${kept.length ? ` (kept: ${kept.map((d) => d.tag).join(", ")})` : ""}; uploaded ${sent}`,
      outputs: {
        digest: result.digest,
        tags: moved.join(","),
        refs: ref,
        platforms: result.platforms.join(","),
      },
      card: {
        title: `Image ${plan.repo}`,
        status: "success",
        facts: [
          { name: "Digest", value: result.digest },
          { name: "Tags", value: moved.join(", ") || "none moved" },
          ...kept.map((d) => ({ name: `Kept ${d.tag}`, value: d.reason })),
          { name: "Platforms", value: result.platforms.join(", ") },
          plan.append
            ? { name: "Base", value: plan.append.base.name }
            : { name: "Sources", value: (plan.sources ?? []).map((x) => x.name).join(", ") },
          { name: "Uploaded", value: sent },
        ],
      },
    };
  },
};
