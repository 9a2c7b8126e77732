import * as z from "zod/mini";
import { compareVersions, newestFirst } from "./version.ts";

/**
 * The site's two manifests. `index.json` lists every channel's versions, newest first, and is
 * the one record the page and `prune` are made from; `<channel>/latest.json` is the entry of the
 * channel's highest version, for servers and apps that poll for updates. Both are read back from
 * the store, which is not trusted to hold what this plugin wrote: they are parsed strictly.
 */

const fileEntry = z.object({
  name: z.string(),
  size: z.number(),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  url: z.string(),
});

const versionEntry = z.object({
  version: z.string(),
  channel: z.string(),
  date: z.string(),
  commit: z.string(),
  notes: z.optional(z.string()),
  url: z.string(),
  files: z.array(fileEntry),
});

const siteIndex = z.object({
  schema: z.literal(1),
  title: z.string(),
  updated: z.string(),
  channels: z.record(
    z.string(),
    z.object({ latest: z.optional(z.string()), versions: z.array(versionEntry) }),
  ),
});

export type FileEntry = z.infer<typeof fileEntry>;
export type VersionEntry = z.infer<typeof versionEntry>;
export type SiteIndex = z.infer<typeof siteIndex>;

export function emptyIndex(title: string, channels: readonly string[]): SiteIndex {
  return {
    schema: 1,
    title,
    updated: "",
    channels: Object.fromEntries(channels.map((channel) => [channel, { versions: [] }])),
  };
}

/** A JSON object read back from the store: undefined unless it is exactly what the schema says. */
export function parseWith<T>(schema: z.ZodMiniType<T>, text: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const parseIndex = (text: string): SiteIndex | undefined => parseWith(siteIndex, text);
export const parseLatest = (text: string): VersionEntry | undefined => parseWith(versionEntry, text);

/** A channel's highest version; what its `latest.json` names. */
export function latestOf(versions: readonly VersionEntry[]): VersionEntry | undefined {
  return [...versions].sort((a, b) => newestFirst(a.version, b.version))[0];
}

/**
 * The index with `entry` in its channel: a re-run replaces its own entry instead of adding a
 * second one, versions stay newest first, `latest` names the highest. Channels the settings name
 * come first in their order; channels only the store knows are kept after them.
 */
export function withVersion(
  index: SiteIndex,
  entry: VersionEntry,
  channels: readonly string[],
  now: string,
): SiteIndex {
  const next = ordered(index, channels);
  const channel = next.channels[entry.channel] ?? { versions: [] };
  const versions = [...channel.versions.filter((v) => v.version !== entry.version), entry].sort((a, b) =>
    newestFirst(a.version, b.version),
  );
  next.channels[entry.channel] = { latest: versions[0]?.version, versions };
  return { ...next, updated: now };
}

/** The index without the given versions of a channel. */
export function withoutVersions(
  index: SiteIndex,
  channel: string,
  drop: readonly string[],
  channels: readonly string[],
  now: string,
): SiteIndex {
  const next = ordered(index, channels);
  const versions = (next.channels[channel]?.versions ?? []).filter((v) => !drop.includes(v.version));
  next.channels[channel] = { latest: versions[0]?.version, versions };
  return { ...next, updated: now };
}

function ordered(index: SiteIndex, channels: readonly string[]): SiteIndex {
  const names = [...channels, ...Object.keys(index.channels).filter((name) => !channels.includes(name))];
  return {
    ...index,
    channels: Object.fromEntries(names.map((name) => [name, index.channels[name] ?? { versions: [] }])),
  };
}

/** Whether `version` becomes the channel's latest: it is at least as high as what latest names. */
export function movesLatest(current: string | undefined, version: string): boolean {
  return current === undefined || compareVersions(version, current) >= 0;
}

/** `sha256sum`'s format: `<hex>  <name>` a line. */
export function sumsText(files: readonly { name: string; sha256: string }[]): string {
  return files.map((file) => `${file.sha256}  ${file.name}\n`).join("");
}

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
