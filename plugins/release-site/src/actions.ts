import { formatBytes, formatRate, type RunResult } from "@hangar/kit";
import type { VersionEntry } from "./manifest.ts";
import { promoteVersion } from "./promote.ts";
import { pruneVersions } from "./prune.ts";
import { publishVersion } from "./publish.ts";
import type { Site } from "./site.ts";

/** What a step after publish or promote reads: the version's folder, its channel and latest.json. */
const versionOutputs = (site: Site, entry: VersionEntry) => ({
  url: entry.url,
  channel: entry.channel,
  version: entry.version,
  manifest: site.url(site.layout.latestKey(entry.channel)),
});

const siteLinks = (site: Site, channel: string) => [
  { title: "Download page", url: site.url(site.layout.pageKey) },
  { title: "latest.json", url: site.url(site.layout.latestKey(channel)) },
];

/** Each action's result as outputs, card and summary. */
export async function runAction(site: Site, cleanup: Site): Promise<RunResult> {
  const { plan } = site;
  if (plan.action === "publish") {
    const result = await publishVersion(site, cleanup);
    const { entry, transferred } = result;
    const moved =
      transferred.bytes > 0
        ? `${formatBytes(transferred.bytes)} at ${formatRate(transferred.rate)}`
        : undefined;
    return {
      summary: `${entry.version} published to ${entry.channel}: ${result.uploaded.length} uploaded, ${result.kept.length} kept${moved ? ` (${moved})` : ""}${result.latestMoved ? "" : "; latest.json stays at a higher version"} — ${entry.url}`,
      outputs: versionOutputs(site, entry),
      card: {
        title: `${entry.version} on the ${entry.channel} channel`,
        status: "success",
        facts: [
          { name: "Channel", value: entry.channel },
          { name: "Version", value: entry.version },
          { name: "Latest", value: result.latestMoved ? "yes" : "no (a higher version is latest)" },
          { name: "Uploaded", value: moved ?? "nothing new" },
          ...entry.files.map((file) => ({ name: file.name, value: formatBytes(file.size) })),
        ],
        links: [
          ...siteLinks(site, entry.channel),
          ...entry.files.map((file) => ({ title: file.name, url: file.url })),
        ],
      },
    };
  }
  if (plan.action === "promote") {
    const result = await promoteVersion(site, cleanup);
    const { entry } = result;
    return {
      summary: `${entry.version} promoted from ${result.from} to ${entry.channel}: ${result.copied.length} copied inside the store, ${result.kept.length} kept — ${entry.url}`,
      outputs: versionOutputs(site, entry),
      card: {
        title: `${entry.version} promoted to ${entry.channel}`,
        status: "success",
        facts: [
          { name: "From", value: result.from },
          { name: "Channel", value: entry.channel },
          { name: "Latest", value: result.latestMoved ? "yes" : "no (a higher version is latest)" },
          { name: "Copied", value: `${result.copied.length} file(s), inside the store` },
        ],
        links: [...siteLinks(site, entry.channel)],
      },
    };
  }
  const result = await pruneVersions(site);
  const removed = result.removed.map((r) => `${r.channel}/${r.version}`);
  return {
    summary: `pruned ${removed.length} version(s), keeping ${plan.keep} per channel${removed.length ? `: ${removed.join(", ")}` : ""}`,
    outputs: { manifest: site.url(site.layout.indexKey), removed: removed.join(",") },
    card: {
      title: `Pruned ${removed.length} version(s)`,
      status: "success",
      facts: [
        { name: "Kept per channel", value: String(plan.keep) },
        { name: "Removed", value: removed.join(", ") || "none" },
      ],
      links: [{ title: "Download page", url: site.url(site.layout.pageKey) }],
    },
  };
}
