import { statSync } from "node:fs";
import {
  errorMessage,
  type PlanContext,
  type SettingProblem,
  type SettingsOf,
  workspacePath,
} from "@hangar/kit";
import { type Credentials, isLoopbackName, parseImageName, registryBaseUrl } from "@hangar/oci";
import { type ContextFile, readContextFiles } from "./context-files.ts";
import { mismatched, type NativeFile, nativeFile } from "./native.ts";
import type { ImagePublishSchema } from "./settings.ts";
import { commitEpoch, invalidTags, readTagType, requestTags, type TagRequest, type TagType } from "./tags.ts";

type Settings = SettingsOf<ImagePublishSchema>;
type Context = PlanContext<ImagePublishSchema>;

export interface RegistryTarget {
  /** The host as written (`gitea.example.com`, `127.0.0.1:5000`), for messages. */
  host: string;
  /** Where requests go: `https://gitea.example.com`, or `http://…` for loopback and `insecure`. */
  url: string;
  credentials?: Credentials | undefined;
}

export interface PublishPlan {
  /** The image without a tag: `gitea.example.com/calchat/server`. */
  repo: string;
  registry: RegistryTarget;
  repository: string;
  base: RegistryTarget & { name: string; repository: string; reference: string; sameRegistry: boolean };
  context: { relative: string; absolute: string; files: ContextFile[]; bytes: number };
  /** Absolute path in the image: where the files land, and the working directory. */
  workdir: string;
  entrypoint?: string[] | undefined;
  cmd?: string[] | undefined;
  env?: Record<string, string> | undefined;
  user?: string | undefined;
  /** The numeric owner of the context's files (from a numeric `user`); root otherwise. */
  owner?: { uid: number; gid: number } | undefined;
  labels: Record<string, string>;
  /** Seconds: the files' times and the `created` label. */
  epoch: number;
  epochWhy: string;
  created: string;
  platforms?: string[] | undefined;
  /** Native files published anyway (`allow_native` or matching platforms), for the log. */
  native: NativeFile[];
  allowNative: boolean;
  tags: TagRequest;
  tagType?: TagType | undefined;
  latest: Settings["latest"];
  timeoutMs: number;
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/;

/** `repo` without a tag or digest: the tags come from the build or `tags`. */
function repoProblem(repo: string): string | undefined {
  if (repo.includes("@")) return "names a digest: give the image without a tag (`host/owner/name`)";
  const last = repo.slice(repo.lastIndexOf("/") + 1);
  if (last.includes(":")) return "names a tag: give the image without a tag and list tags in `tags`";
  if (
    !/^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(
      parseImageName(repo).repository,
    )
  )
    return "is not a valid image name (lower case letters, digits, `.`, `_`, `-`, separated by `/`)";
  return undefined;
}

function target(host: string, insecure: boolean, credentials: Credentials | undefined): RegistryTarget {
  const url = /^https?:\/\//.test(host)
    ? host.replace(/\/+$/, "")
    : insecure
      ? `http://${host}`
      : registryBaseUrl(host);
  return { host, url, credentials };
}

function owner(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
  if (!m) return undefined;
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

function nativeProblem(native: NativeFile[], platforms: string[] | undefined): string | undefined {
  if (native.length === 0) return undefined;
  const wrong = platforms ? mismatched(native, platforms) : native;
  if (wrong.length === 0) return undefined;
  const named = wrong
    .slice(0, 10)
    .map((f) => `${f.path} (${f.architecture ?? "unknown architecture"})`)
    .join(", ");
  const more = wrong.length > 10 ? ` and ${wrong.length - 10} more` : "";
  const where = platforms ? `for ${platforms.join(", ")}` : "for every platform the base offers";
  return `holds native code that cannot run on every platform ${where}: ${named}${more}; set \`platforms\` to the ones it was built for, leave the files out (.dockerignore), or set \`allow_native: true\``;
}

function nativeFiles(files: ContextFile[]): NativeFile[] {
  return files.flatMap((f) => {
    if (f.kind !== "file") return [];
    const found = nativeFile(f.absolute, f.path);
    return found ? [found] : [];
  });
}

/** Everything wrong with the settings, found before any registry is asked. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem, build } = context;
  const problems: SettingProblem[] = [];
  if (settings.repo !== undefined) {
    const why = repoProblem(settings.repo);
    if (why) problems.push(problem("repo", "E_SETTING_INVALID", why, settings.repo));
  }
  if (settings.base !== undefined && !settings.base.trim())
    problems.push(problem("base", "E_SETTING_REQUIRED", "is empty: name the image to build on"));
  if (Boolean(settings.username) !== Boolean(settings.password)) {
    problems.push(
      problem(
        settings.username ? "password" : "username",
        "E_SETTING_REQUIRED",
        "is needed with the other: the registry login is a user name and a password (or token)",
      ),
    );
  }
  if (Boolean(settings.base_username) !== Boolean(settings.base_password)) {
    problems.push(
      problem(
        settings.base_username ? "base_password" : "base_username",
        "E_SETTING_REQUIRED",
        "is needed with the other: the base's login is a user name and a password (or token)",
      ),
    );
  }
  const workdir = settings.workdir ?? "/app";
  if (!workdir.startsWith("/") || workdir.split("/").includes("..") || workdir === "/") {
    problems.push(
      problem(
        "workdir",
        "E_SETTING_INVALID",
        "must be an absolute folder below / without `..`, e.g. /app",
        workdir,
      ),
    );
  }
  if (settings.user !== undefined && !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(settings.user))
    problems.push(problem("user", "E_SETTING_INVALID", "must be `user`, `uid` or `uid:gid`", settings.user));
  const badPlatforms = (settings.platforms ?? []).filter((p) => !PLATFORM.test(p));
  if (badPlatforms.length > 0 || settings.platforms?.length === 0) {
    problems.push(
      problem(
        "platforms",
        "E_SETTING_INVALID",
        `must name platforms as os/architecture[/variant], e.g. linux/amd64, linux/arm64${badPlatforms.length ? `; not: ${badPlatforms.join(", ")}` : ""}`,
      ),
    );
  }
  const bad = invalidTags(requestTags(settings.tags, build));
  if (bad.length > 0) {
    problems.push(
      problem(
        "tags",
        "E_SETTING_INVALID",
        `${bad.map((t) => `"${t}"`).join(", ")} cannot be image tags (letters, digits, _ . -, at most 128, not starting with . or -)`,
      ),
    );
  }
  try {
    const dir = workspacePath(build.workspace, settings.context ?? ".");
    if (!statSync(dir).isDirectory()) throw new Error(`${settings.context} is not a folder`);
    const files = readContextFiles(dir);
    const why = settings.allow_native ? undefined : nativeProblem(nativeFiles(files), settings.platforms);
    if (why) problems.push(problem("context", "E_NATIVE_CODE", why, settings.context ?? "."));
  } catch (error) {
    problems.push(problem("context", "E_SETTING_FILE", errorMessage(error), settings.context ?? "."));
  }
  return problems;
}

/** The image to build and the tags to ask for; settings were checked by `checkSettings`. */
export async function planPublish(settings: Settings, context: Context): Promise<PublishPlan> {
  const { build, env } = context;
  const name = parseImageName(settings.repo);
  const host = settings.registry ?? name.host;
  const credentials =
    settings.username && settings.password
      ? { username: settings.username, password: settings.password }
      : undefined;
  const registry = target(host, settings.insecure, credentials);
  const base = parseImageName(settings.base);
  const sameRegistry = base.host === host;
  const baseCredentials =
    settings.base_username && settings.base_password
      ? { username: settings.base_username, password: settings.base_password }
      : sameRegistry
        ? credentials
        : undefined;
  // `insecure` names the push registry; the base's speaks plain http only on loopback or when it is that one.
  const baseTarget = target(base.host, sameRegistry && settings.insecure, baseCredentials);
  const absolute = workspacePath(build.workspace, settings.context);
  const files = readContextFiles(absolute);
  const { epoch, why } = commitEpoch(build.workspace, env);
  const created = new Date(epoch * 1000).toISOString();
  const tags = requestTags(settings.tags, build);
  const version = tags.version ?? build.commit.tag;
  const labels: Record<string, string> = {
    ...(build.repo.link ? { "org.opencontainers.image.source": build.repo.link } : {}),
    ...(build.commit.sha ? { "org.opencontainers.image.revision": build.commit.sha } : {}),
    "org.opencontainers.image.created": created,
    ...(version ? { "org.opencontainers.image.version": version } : {}),
    ...settings.labels,
  };
  return {
    repo: `${name.host}/${name.repository}`,
    registry,
    repository: name.repository,
    base: {
      ...baseTarget,
      name: settings.base,
      repository: base.repository,
      reference: base.reference,
      sameRegistry,
    },
    context: {
      relative: settings.context,
      absolute,
      files,
      bytes: files.reduce((sum, f) => sum + f.size, 0),
    },
    workdir: settings.workdir.replace(/\/+$/, ""),
    entrypoint: settings.entrypoint,
    cmd: settings.cmd,
    env: settings.env,
    user: settings.user,
    owner: owner(settings.user),
    labels,
    epoch,
    epochWhy: why,
    created,
    platforms: settings.platforms,
    native: nativeFiles(files),
    allowNative: settings.allow_native,
    tags,
    tagType:
      tags.version && build.commit.tag
        ? readTagType(build.workspace, build.commit.tag, settings.tag_type)
        : undefined,
    latest: settings.latest,
    timeoutMs: settings.timeout,
  };
}

export function isPlainHttp(t: RegistryTarget): boolean {
  return t.url.startsWith("http://") && !isLoopbackName(new URL(t.url).hostname);
}

export function describePlan(plan: PublishPlan): string {
  const files = plan.context.files.filter((f) => f.kind !== "folder").length;
  const lines = [
    `image:     ${plan.repo} (registry ${plan.registry.url}${plan.registry.credentials ? ` as ${plan.registry.credentials.username}` : ", anonymous"})`,
    `base:      ${plan.base.name}${plan.base.sameRegistry ? " (same registry: its blobs are mounted)" : ` (${plan.base.url}: its blobs are copied)`}`,
    `platforms: ${plan.platforms?.join(", ") ?? "every platform the base offers"}`,
    `context:   ${plan.context.relative} → ${plan.workdir} (${files} files, ${plan.context.bytes} bytes, one layer for every platform${plan.owner ? `, owned by ${plan.owner.uid}:${plan.owner.gid}` : ""})`,
    `time:      ${plan.created} (${plan.epochWhy})`,
    `config:    workdir ${plan.workdir}${plan.entrypoint ? `, entrypoint ${JSON.stringify(plan.entrypoint)}` : ""}${plan.cmd ? `, cmd ${JSON.stringify(plan.cmd)}` : ""}${plan.user ? `, user ${plan.user}` : ""}${plan.env ? `, env ${Object.keys(plan.env).join(", ")}` : ""}`,
  ];
  for (const [k, v] of Object.entries(plan.labels)) lines.push(`label:     ${k}=${v}`);
  for (const f of plan.native)
    lines.push(
      `native:    ${f.path} (${f.architecture ?? "unknown architecture"})${plan.allowNative ? " allowed (allow_native)" : ""}`,
    );
  for (const p of plan.tags.plain) lines.push(`tag:       ${p.tag} (${p.why})`);
  if (plan.tags.version) {
    // The policy (@hangar/oci) moves no alias for a lightweight tag unless `latest: force`.
    const aliasesHeld = plan.tagType?.annotated === false && plan.latest !== "force";
    const which =
      plan.tags.aliases === "none"
        ? "none"
        : aliasesHeld
          ? "its own tag only (a lightweight tag moves no alias)"
          : plan.tags.aliases === "all"
            ? "its own tag, X.Y, X and latest"
            : "latest";
    lines.push(
      `version:   ${plan.tags.version}${plan.tagType ? ` (${plan.tagType.why})` : ""}: ${which}; latest ${plan.latest}: aliases move only forward, decided against the registry's tags when the run starts`,
    );
  } else if (plan.tags.aliases === "latest") {
    lines.push(
      `tag:       latest (${plan.latest === "force" ? "latest force" : "no version on this build: moves only with latest: force"})`,
    );
  }
  if (isPlainHttp(plan.registry)) lines.push(`warning:   plain http to ${plan.registry.host} (insecure)`);
  return lines.join("\n");
}
