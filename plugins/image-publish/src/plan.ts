/**
 * The image to make and the tags to ask for, from settings `checkSettings` passed: what is built
 * on which base (or which images are merged), the labels and time, and whether the build's git
 * tag is annotated (the clone, else Gitea at the run, else lightweight).
 */
import { readCaCert, workspacePath } from "@hangar/kit";
import {
  type Credentials,
  isLoopbackName,
  type MergeSource,
  parseImageName,
  registryBaseUrl,
} from "@hangar/oci";
import { type ContextFile, readContextFiles } from "./context-files.ts";
import { type NativeFile, nativeFiles } from "./native.ts";
import type { Context, Settings } from "./settings.ts";
import { commitEpoch, readTagType, requestTags, type TagRequest, type TagType } from "./tags.ts";

export interface RegistryTarget {
  /** The host as written (`gitea.example.com`, `127.0.0.1:5000`), for messages. */
  host: string;
  /** Where requests go: `https://gitea.example.com`, or `http://…` for loopback and `insecure`. */
  url: string;
  credentials?: Credentials | undefined;
}

/** Building by appending the context's layer to every platform of a base. */
export interface AppendPlan {
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
  platforms?: string[] | undefined;
  /** Native files published anyway (`allow_native` or matching platforms), for the log. */
  native: NativeFile[];
  allowNative: boolean;
}

/** Where to ask whether the build's tag is annotated, when the clone holds no tag object. */
export interface GiteaTagLookup {
  url: string;
  owner: string;
  repo: string;
  token: string;
  tag: string;
}

export interface PublishPlan {
  /** The image without a tag: `gitea.example.com/calchat/server`. */
  repo: string;
  registry: RegistryTarget;
  repository: string;
  /** Exactly one of `append` and `sources`. */
  append?: AppendPlan | undefined;
  sources?: MergeSource[] | undefined;
  labels: Record<string, string>;
  /** Seconds: the files' times and the `created` label. */
  epoch: number;
  epochWhy: string;
  created: string;
  tags: TagRequest;
  tagType?: TagType | undefined;
  giteaTag?: GiteaTagLookup | undefined;
  latest: Settings["latest"];
  timeoutMs: number;
  /** PEM certificates to trust (`ca_cert`). */
  ca?: string | undefined;
}

function target(host: string, insecure: boolean, credentials: Credentials | undefined): RegistryTarget {
  const url = /^https?:\/\//.test(host)
    ? host.replace(/\/+$/, "")
    : insecure
      ? `http://${host}`
      : registryBaseUrl(host);
  return { host, url, credentials };
}

function login(username: string | undefined, password: string | undefined): Credentials | undefined {
  return username && password ? { username, password } : undefined;
}

function owner(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
  if (!m) return undefined;
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

function appendPlan(
  settings: Settings,
  context: Context,
  push: RegistryTarget,
  repoHost: string,
): AppendPlan {
  const base = parseImageName(settings.base ?? "");
  // The push registry under either name: `repo`'s host, or `registry` (which may name the scheme).
  const sameRegistry = base.host === repoHost || base.host === push.host;
  const credentials =
    login(settings.base_username, settings.base_password) ?? (sameRegistry ? push.credentials : undefined);
  // `insecure` names the push registry; the base's speaks plain http only on loopback or when it is that one.
  const baseTarget = sameRegistry ? { ...push, credentials } : target(base.host, false, credentials);
  const absolute = workspacePath(context.build.workspace, settings.context);
  const files = readContextFiles(absolute);
  return {
    base: {
      ...baseTarget,
      name: settings.base ?? "",
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
    platforms: settings.platforms,
    native: nativeFiles(files),
    allowNative: settings.allow_native,
  };
}

function giteaLookup(settings: Settings, context: Context, tag: string): GiteaTagLookup | undefined {
  const { owner: repoOwner, name } = context.build.repo;
  if (!settings.gitea_url || !settings.gitea_token || !repoOwner || !name) return undefined;
  return {
    url: settings.gitea_url.replace(/\/+$/, ""),
    owner: repoOwner,
    repo: name,
    token: settings.gitea_token,
    tag,
  };
}

export async function planPublish(settings: Settings, context: Context): Promise<PublishPlan> {
  const { build, env } = context;
  const name = parseImageName(settings.repo);
  const registry = target(
    settings.registry ?? name.host,
    settings.insecure,
    login(settings.username, settings.password),
  );
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
  const gitTag = tags.version ? build.commit.tag : undefined;
  const tagType = gitTag ? readTagType(build.workspace, gitTag, settings.tag_type) : undefined;
  return {
    repo: `${name.host}/${name.repository}`,
    registry,
    repository: name.repository,
    append: settings.sources ? undefined : appendPlan(settings, context, registry, name.host),
    sources: settings.sources?.map((source) => ({ name: source, ...parseImageName(source) })),
    labels,
    epoch,
    epochWhy: why,
    created,
    tags,
    tagType,
    giteaTag: gitTag && tagType?.inClone === false ? giteaLookup(settings, context, gitTag) : undefined,
    latest: settings.latest,
    timeoutMs: settings.timeout,
    ca: settings.ca_cert ? await readCaCert(build.workspace, settings.ca_cert) : undefined,
  };
}

export function isPlainHttp(t: RegistryTarget): boolean {
  return t.url.startsWith("http://") && !isLoopbackName(new URL(t.url).hostname);
}
