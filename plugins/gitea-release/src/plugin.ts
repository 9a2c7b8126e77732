import { targetOf } from "@hangar/gitea";
import { formatBytes, formatRate, type PluginDefinition, type RunResult } from "@hangar/kit";
import { checkSettings, describePlan, planRelease, type ReleasePlan } from "./plan.ts";
import { type GiteaReleaseSchema, giteaReleaseSettings } from "./settings.ts";

export const giteaRelease: PluginDefinition<GiteaReleaseSchema, ReleasePlan> = {
  name: "gitea-release",
  description: "Publish a Gitea release with its assets, checksums and notes: atomically, idempotently.",
  settings: giteaReleaseSettings,
  check: checkSettings,
  plan: planRelease,
  describe: describePlan,

  async run(plan, { log, fetch, signal, cleanupSignal }): Promise<RunResult> {
    // The Gitea client (gitea-js) and the upload are loaded when the release is made, so a dry run
    // or a settings error does not pay for them.
    const [{ GiteaReleases }, { publishRelease }] = await Promise.all([
      import("./gitea.ts"),
      import("./publish.ts"),
    ]);
    const gitea = GiteaReleases.connect(targetOf(plan), log, fetch, signal);
    const result = await publishRelease(plan, gitea, log, gitea.withSignal(cleanupSignal), signal);
    const { release, transferred } = result;
    const moved =
      transferred.bytes > 0
        ? `${formatBytes(transferred.bytes)} at ${formatRate((transferred.bytes * 1000) / Math.max(transferred.ms, 1))}`
        : undefined;
    const assets = release.assets ?? [];
    const assetOutputs = Object.fromEntries(
      assets.map((asset) => [`asset ${asset.name} url`, asset.browser_download_url ?? ""]),
    );

    return {
      summary: `${release.draft ? "draft " : ""}release ${plan.tag}: ${result.uploaded.length} uploaded, ${result.replaced.length} replaced, ${result.skipped.length} kept${moved ? ` (${moved})` : ""} — ${release.html_url}`,
      outputs: {
        url: release.html_url ?? "",
        id: String(release.id ?? ""),
        tag: plan.tag,
        draft: String(release.draft === true),
        ...assetOutputs,
      },
      card: {
        title: `${release.draft ? "Draft release" : "Release"} ${release.name || plan.tag}`,
        status: "success",
        facts: [
          { name: "Tag", value: plan.tag },
          { name: "Pre-release", value: release.prerelease ? "yes" : "no" },
          ...(moved ? [{ name: "Uploaded", value: moved }] : []),
          ...assets.map((asset) => ({ name: asset.name ?? "", value: formatBytes(asset.size ?? 0) })),
        ],
        links: [
          ...(release.html_url ? [{ title: "Release", url: release.html_url }] : []),
          ...assets.map((asset) => ({ title: asset.name ?? "", url: asset.browser_download_url ?? "" })),
        ],
      },
    };
  },
};
