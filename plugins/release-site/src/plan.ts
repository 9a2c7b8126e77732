import { caCertProblem, fileProblem, readCaCert, type SettingProblem, type SettingsCheck } from "@hangar/kit";
import { filesProblems, matchSiteFiles, type PlannedFile, readNotes } from "./inputs.ts";
import { bucketUrl } from "./layout.ts";
import type { Context, ReleaseSiteSchema, Settings } from "./settings.ts";
import { channelOf, defaultVersion, isSemver } from "./version.ts";

/** Where the store is and how to sign for it (what `run` connects with). */
export interface StorePlan {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  pathStyle: boolean;
  ca?: string | undefined;
  timeoutMs: number;
}

export interface SitePlan {
  action: Settings["action"];
  store: StorePlan;
  prefix: string;
  publicUrl: string;
  title: string;
  channels: string[];
  version: string;
  /** publish and promote: the target channel; prune: the one channel pruned, or every one. */
  channel: string | undefined;
  channelReason: string;
  from: string | undefined;
  files: PlannedFile[];
  notes: string | undefined;
  commit: string;
  keep: number;
  parallel: number;
  lock: Settings["lock"];
  /** How long a lock object stays valid without its holder. */
  lockTtlMs: number;
  /** This build, named in the lock object for builds that wait: `acme/calchat#12`. */
  build: string;
}

const CHANNEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** `prefix` with its slashes trimmed; `..`, empty segments and control characters refused. */
function prefixProblem(prefix: string): string | undefined {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  if (/\p{Cc}|\\/u.test(trimmed)) return "holds a control character or a backslash";
  if (
    trimmed !== "" &&
    trimmed.split("/").some((segment) => segment === "" || segment === "." || segment === "..")
  )
    return "must be a folder path without `.`, `..` or empty segments";
  return undefined;
}

const isAws = (endpoint: string): boolean => /(^|\.)amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);

function versionOf(settings: Partial<Settings>, build: Context["build"]): string {
  return settings.version ?? defaultVersion({ ...build.commit, number: build.build.number });
}

/** Everything wrong with the settings, found before any request. */
export const checkSettings: SettingsCheck<ReleaseSiteSchema> = async (settings, context) => {
  const { problem, build } = context;
  const problems: SettingProblem[] = [];
  const action = settings.action ?? "publish";
  const channels = settings.channels ?? ["alpha", "beta", "stable"];

  if (settings.bucket !== undefined && !BUCKET_NAME.test(settings.bucket))
    problems.push(
      problem(
        "bucket",
        "E_SETTING_INVALID",
        "is no bucket name (3–63 of a–z, 0–9, `.` and `-`)",
        settings.bucket,
      ),
    );
  if (settings.region !== undefined && !/^[a-z0-9-]+$/.test(settings.region))
    problems.push(
      problem(
        "region",
        "E_SETTING_INVALID",
        "must be a region name such as us-east-1 or garage",
        settings.region,
      ),
    );
  if (settings.access_key !== undefined && !HEADER_SAFE.test(settings.access_key))
    problems.push(
      problem(
        "access_key",
        "E_SETTING_INVALID",
        "holds a space, a line break or another character a request cannot carry",
      ),
    );
  if (settings.secret_key !== undefined && !HEADER_SAFE.test(settings.secret_key))
    problems.push(
      problem(
        "secret_key",
        "E_SETTING_INVALID",
        "holds a space, a line break or another character (a secret saved with a trailing newline?)",
      ),
    );

  const prefix = settings.prefix ?? build.repo.name;
  if (settings.prefix === undefined && !build.repo.name)
    problems.push(problem("prefix", "E_SETTING_REQUIRED", "is required: the build names no repository"));
  const prefixWrong = prefixProblem(prefix);
  if (prefixWrong) problems.push(problem("prefix", "E_SETTING_INVALID", prefixWrong, prefix));

  for (const name of channels) {
    if (!CHANNEL_NAME.test(name))
      problems.push(
        problem(
          "channels",
          "E_SETTING_INVALID",
          `${JSON.stringify(name)} is no channel name (letters, digits, \`.\`, \`_\`, \`-\`)`,
          channels.join(", "),
        ),
      );
  }
  if (new Set(channels).size !== channels.length)
    problems.push(problem("channels", "E_SETTING_INVALID", "names a channel twice", channels.join(", ")));
  if (channels.length === 0)
    problems.push(problem("channels", "E_SETTING_INVALID", "must name at least one channel"));

  const version = versionOf(settings, build);
  if (action !== "prune" && !isSemver(version)) {
    problems.push(
      problem(
        "version",
        "E_SETTING_INVALID",
        settings.version === undefined
          ? `is required: the tag ${JSON.stringify(build.commit.tag)} is no semantic version (set \`version\`, e.g. 1.4.0)`
          : "must be a semantic version such as 1.4.0 or 1.5.0-beta.2",
        version,
      ),
    );
  }

  const channel = settings.channel ?? "auto";
  if (channel !== "auto" && !channels.includes(channel))
    problems.push(
      problem(
        "channel",
        "E_SETTING_INVALID",
        `must be auto or one of \`channels\` (${channels.join(", ")})`,
        channel,
      ),
    );
  if (
    channel === "auto" &&
    action !== "prune" &&
    isSemver(version) &&
    !channels.includes(channelOf(version).channel)
  )
    problems.push(
      problem(
        "channel",
        "E_SETTING_INVALID",
        `auto gives ${channelOf(version).channel} for ${version}, which \`channels\` does not list`,
        channel,
      ),
    );

  if (action === "publish") {
    if (!settings.files?.length)
      problems.push(
        problem("files", "E_SETTING_REQUIRED", "is required to publish: name the files, e.g. dist/*.apk"),
      );
    else problems.push(...(await filesProblems(problem, build, settings.files)));
  }
  if (action === "promote" && settings.from !== undefined) {
    if (!channels.includes(settings.from))
      problems.push(
        problem(
          "from",
          "E_SETTING_INVALID",
          `must be one of \`channels\` (${channels.join(", ")})`,
          settings.from,
        ),
      );
    else if (settings.from === (channel === "auto" ? channelOf(version).channel : channel))
      problems.push(
        problem("from", "E_SETTING_INVALID", "is the channel promoted to; name another", settings.from),
      );
  }

  if (settings.notes !== undefined) {
    try {
      await readNotes(build.workspace, settings.notes);
    } catch (error) {
      problems.push(fileProblem(problem, "notes", error, settings.notes));
    }
  }
  if (settings.ca_cert !== undefined) {
    const caProblem = await caCertProblem(problem, build.workspace, settings.ca_cert);
    if (caProblem) problems.push(caProblem);
  }
  return problems;
};

/** What the step will do; settings were checked by `checkSettings`. */
export async function planSite(settings: Settings, context: Context): Promise<SitePlan> {
  const { build } = context;
  const version = versionOf(settings, build);
  const auto = settings.channel === "auto";
  const channel =
    settings.action === "prune"
      ? auto
        ? undefined
        : settings.channel
      : auto
        ? channelOf(version).channel
        : settings.channel;
  const pathStyle = settings.path_style ?? !isAws(settings.endpoint);
  return {
    action: settings.action,
    store: {
      endpoint: settings.endpoint.replace(/\/+$/, ""),
      region: settings.region,
      bucket: settings.bucket,
      accessKey: settings.access_key,
      secretKey: settings.secret_key,
      pathStyle,
      ca: settings.ca_cert ? await readCaCert(build.workspace, settings.ca_cert) : undefined,
      timeoutMs: settings.timeout,
    },
    prefix: (settings.prefix ?? build.repo.name).replace(/^\/+|\/+$/g, ""),
    publicUrl: (settings.public_url ?? bucketUrl(settings.endpoint, settings.bucket, pathStyle)).replace(
      /\/+$/,
      "",
    ),
    title: settings.site_title ?? build.repo.name ?? "Downloads",
    channels: settings.channels,
    version,
    channel,
    channelReason: auto
      ? settings.action === "prune"
        ? "every channel"
        : `auto: ${channelOf(version).reason}`
      : "set",
    from: settings.from,
    files: settings.action === "publish" ? (await matchSiteFiles(build, settings.files ?? [])).files : [],
    notes: settings.notes ? await readNotes(build.workspace, settings.notes) : undefined,
    commit: build.commit.sha,
    keep: settings.keep,
    parallel: settings.parallel,
    lock: settings.lock,
    lockTtlMs: Math.max(30_000, 4 * settings.timeout),
    build: `${build.repo.fullName}#${build.build.number ?? 0}`,
  };
}

export function describePlan(plan: SitePlan): string {
  const where = `s3://${plan.store.bucket}/${plan.prefix}${plan.prefix ? "/" : ""} on ${plan.store.endpoint} (${plan.store.pathStyle ? "path style" : "virtual host"}, region ${plan.store.region})`;
  const lines = [`site:     ${where}`, `served:   ${plan.publicUrl}/${plan.prefix}`];
  if (plan.action === "publish") {
    lines.unshift(`publish ${plan.version} to ${plan.channel} (${plan.channelReason})`);
    for (const file of plan.files)
      lines.push(`file:     ${file.name} (${file.relative}, ${file.size} bytes)`);
    lines.push(
      `order:    files and SHA256SUMS to ${plan.channel}/${plan.version}/, each checked; then ${plan.channel}/latest.json when ${plan.version} is the channel's highest; then index.json and index.html`,
    );
  } else if (plan.action === "promote") {
    lines.unshift(
      `promote ${plan.version} from ${plan.from ?? "the channel that holds it"} to ${plan.channel} (${plan.channelReason}), copied inside the store`,
    );
  } else {
    lines.unshift(
      `prune ${plan.channel ?? "every channel"}: keep the newest ${plan.keep} version(s) and the one latest.json names`,
    );
  }
  lines.push(`notes:    ${plan.notes ? "from `notes`" : "none"}`);
  lines.push(
    `index:    ${{ auto: "written If-Match its ETag, or under a lock object where the store ignores that (a probe finds out)", conditional: "written If-Match its ETag", object: "written under the lock object index.json.lock" }[plan.lock]}`,
  );
  if (plan.store.ca) lines.push("tls:      verified against ca_cert");
  return lines.join("\n");
}
