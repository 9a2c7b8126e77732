/**
 * Publishes every plugin's bundle (plugins/<name>/dist, from `pnpm build`) as a multi-platform OCI
 * image index onto the Node base's index, through the registry API alone: no Docker daemon, no QEMU.
 * emulator-e2e also gets its runtime (images/emulator-e2e/runtime.ts) as a layer below the bundle.
 *
 *   node images/publish.ts [--dry-run] [plugin...]
 *
 * Environment:
 *   REGISTRY, IMAGE_PREFIX         push to REGISTRY/IMAGE_PREFIX/<plugin>
 *   REGISTRY_USERNAME, REGISTRY_PASSWORD   the login (a Gitea access token works as the password)
 *   DRONE_TAG | CI_COMMIT_TAG | HANGAR_VERSION   the version (a leading "v" is dropped)
 *   HANGAR_BASE_IMAGE              the base index (default docker.io/library/node:24-bookworm-slim)
 *   HANGAR_PLATFORMS               platforms to keep (default linux/amd64,linux/arm64,linux/arm/v7)
 *   HANGAR_LATEST=auto|force|skip  whether X.Y, X and latest may move (shared/oci/src/tag-policy.ts)
 *   HANGAR_TAG_TYPE=annotated|lightweight   instead of asking git (`git cat-file -t refs/tags/<tag>`)
 *   SOURCE_DATE_EPOCH              the created time (default: the commit's committer time)
 * The plan (each tag, whether it moves, why) is printed first; --dry-run stops there.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  appendLayer,
  type BuildIdentity,
  type Credentials,
  folderLayer,
  isValidTag,
  type NewLayer,
  NODE_PLATFORMS,
  parseAliasStrategy,
  parseImageName,
  parseSemVer,
  planTags,
  RegistryClient,
  readIdentity,
  readTagDigests,
  type TagDecision,
  tagIndex,
} from "../shared/oci/src/index.ts";
import { hasRuntime, RUNTIME_CREATED_BY, RUNTIME_ENV, runtimeLayer } from "./emulator-e2e/runtime.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_BASE = "docker.io/library/node:24-bookworm-slim";

const say = (line: string) => console.log(`==> [publish] ${line}`);

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

function packageField(file: string, field: string): string {
  try {
    const value = JSON.parse(readFileSync(file, "utf8"))[field];
    return typeof value === "string" ? value : "";
  } catch {
    return "";
  }
}

function bundled(): string[] {
  return readdirSync(join(ROOT, "plugins"))
    .filter((p) => existsSync(join(ROOT, "plugins", p, "dist", "index.mjs")))
    .sort();
}

interface Settings {
  dryRun: boolean;
  registry: string;
  prefix: string;
  credentials: Credentials | undefined;
  gitTag: string;
  version: string;
  plugins: string[];
  strategy: ReturnType<typeof parseAliasStrategy>;
  base: string;
  platforms: string[];
  build: BuildIdentity;
}

/** Every problem at once, before anything is read or pushed. */
function settings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  const problems: string[] = [];
  const dryRun = argv.includes("--dry-run");
  for (const a of argv) if (a.startsWith("-") && a !== "--dry-run") problems.push(`unknown option ${a}`);
  const registry = (env.REGISTRY ?? "").replace(/\/+$/, "");
  const prefix = (env.IMAGE_PREFIX ?? "").replace(/^\/+|\/+$/g, "");
  if (!registry) problems.push("REGISTRY is not set (e.g. gitea.example.com)");
  if (!prefix) problems.push("IMAGE_PREFIX is not set (e.g. acme/hangar)");
  const gitTag = env.DRONE_TAG || env.CI_COMMIT_TAG || env.HANGAR_VERSION || "";
  const version = gitTag.replace(/^v(?=\d)/, "");
  if (!gitTag) problems.push("no version: set DRONE_TAG (a tag build), CI_COMMIT_TAG or HANGAR_VERSION");
  else if (!parseSemVer(version) && !isValidTag(version)) {
    problems.push(`'${version}' is neither a semantic version nor a valid image tag`);
  }
  const username = env.REGISTRY_USERNAME ?? "";
  const password = env.REGISTRY_PASSWORD ?? "";
  if (!dryRun && !username) problems.push("REGISTRY_USERNAME is not set");
  if (!dryRun && !password) problems.push("REGISTRY_PASSWORD is not set");
  let strategy: Settings["strategy"] = "auto";
  try {
    strategy = parseAliasStrategy(env.HANGAR_LATEST);
  } catch (error) {
    problems.push(`HANGAR_LATEST: ${(error as Error).message}`);
  }
  const named = argv.filter((a) => !a.startsWith("-"));
  const plugins = named.length > 0 ? named : bundled();
  for (const p of named) {
    if (!existsSync(join(ROOT, "plugins", p, "dist", "index.mjs"))) {
      problems.push(`plugins/${p}/dist/index.mjs does not exist: run pnpm build ${p}`);
    }
  }
  if (plugins.length === 0) problems.push("no plugin bundles (plugins/*/dist/index.mjs): run pnpm build");
  const platforms = (env.HANGAR_PLATFORMS || NODE_PLATFORMS.join(",")).split(",").map((p) => p.trim());
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  const created = Number.isInteger(epoch)
    ? new Date(epoch * 1000).toISOString()
    : git(["show", "-s", "--format=%cI", "HEAD"]);
  const revision = env.DRONE_COMMIT_SHA || env.CI_COMMIT_SHA || git(["rev-parse", "HEAD"]);
  if (problems.length > 0) {
    for (const p of problems) console.error(`error: [publish] ${p}`);
    process.exit(1);
  }
  return {
    dryRun,
    registry,
    prefix,
    credentials: username && password ? { username, password } : undefined,
    gitTag,
    version,
    plugins,
    strategy,
    base: env.HANGAR_BASE_IMAGE || DEFAULT_BASE,
    platforms,
    build: { revision, created },
  };
}

/** Annotated or lightweight: HANGAR_TAG_TYPE, else git. A tag missing from the clone counts as lightweight. */
function tagType(gitTag: string, env: NodeJS.ProcessEnv): { annotated: boolean; why: string } {
  const forced = (env.HANGAR_TAG_TYPE ?? "").toLowerCase();
  if (forced === "annotated" || forced === "lightweight") {
    return { annotated: forced === "annotated", why: `${forced} (HANGAR_TAG_TYPE)` };
  }
  const type = git(["cat-file", "-t", `refs/tags/${gitTag}`]);
  if (type === undefined) {
    return {
      annotated: false,
      why: `refs/tags/${gitTag} is not in this clone: treated as lightweight (fetch the tag, or set HANGAR_TAG_TYPE)`,
    };
  }
  return { annotated: type === "tag", why: type === "tag" ? "annotated git tag" : "lightweight git tag" };
}

function labels(plugin: string, s: Settings): Record<string, string> {
  const pkg = join(ROOT, "plugins", plugin, "package.json");
  const source = process.env.DRONE_REPO_LINK || packageField(join(ROOT, "package.json"), "homepage");
  const all: Record<string, string> = {
    "org.opencontainers.image.title": `hangar/${plugin}`,
    "org.opencontainers.image.description":
      packageField(pkg, "description") || `hangar Drone CI plugin ${plugin}`,
    "org.opencontainers.image.source": source,
    "org.opencontainers.image.documentation": `${source}/blob/main/docs/${plugin}.md`,
    "org.opencontainers.image.version": s.version,
    "org.opencontainers.image.revision": s.build.revision ?? "unknown",
    "org.opencontainers.image.created": s.build.created ?? "",
    "org.opencontainers.image.licenses":
      packageField(pkg, "license") || packageField(join(ROOT, "package.json"), "license") || "NOASSERTION",
    "org.opencontainers.image.base.name": s.base,
    "io.hangar.plugin": plugin,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== ""));
}

function printPlan(target: string, decisions: TagDecision[]) {
  say(`${target}`);
  const width = Math.max(...decisions.map((d) => d.tag.length));
  for (const d of decisions)
    console.log(`    ${d.tag.padEnd(width)}  ${d.move ? "push" : "keep"}  ${d.reason}`);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const s = settings(argv, env);
  const client = new RegistryClient({ host: s.registry, credentials: s.credentials });
  const baseName = parseImageName(s.base);
  const sameRegistry = baseName.host === s.registry;
  const baseClient = sameRegistry ? client : new RegistryClient({ host: baseName.host });
  const type = tagType(s.gitTag, env);
  say(
    `version ${s.version} (${type.why}), strategy ${s.strategy}, revision ${s.build.revision ?? "unknown"}`,
  );
  say(`base ${s.base}, platforms ${s.platforms.join(", ")}`);

  const work: { plugin: string; repository: string; layers: NewLayer[]; decisions: TagDecision[] }[] = [];
  for (const plugin of s.plugins) {
    const repository = `${s.prefix}/${plugin}`;
    const layer = folderLayer(join(ROOT, "plugins", plugin, "dist"), "opt/hangar");
    // A plugin with a runtime (emulator-e2e: Appium, WebdriverIO) gets it as a layer below the bundle.
    const layers: NewLayer[] = hasRuntime(plugin)
      ? [{ layer: runtimeLayer((line) => say(`${plugin}: ${line}`)), createdBy: RUNTIME_CREATED_BY }]
      : [];
    layers.push({ layer, createdBy: "COPY dist/ /opt/hangar/" });
    const tags = await readTagDigests(client, repository);
    const own = parseSemVer(s.version)?.text.replace("+", "_") ?? s.version;
    const ownDigest = tags.get(own);
    const existing = ownDigest ? await readIdentity(client, repository, ownDigest) : undefined;
    const decisions = planTags({
      ...type,
      version: s.version,
      strategy: s.strategy,
      build: s.build,
      tags,
      existing,
    });
    const shown = layers.map((l) => l.layer.digest.slice(0, 19)).join(" + ");
    printPlan(`${s.registry}/${repository} (layer${layers.length > 1 ? "s" : ""} ${shown})`, decisions);
    work.push({ plugin, repository, layers, decisions });
  }
  if (s.dryRun) {
    say("dry run: nothing pushed");
    return;
  }
  for (const { plugin, repository, layers, decisions } of work) {
    const moving = decisions.filter((d) => d.move);
    if (moving.length === 0) {
      say(`${repository}: no tag moves`);
      continue;
    }
    const index = await appendLayer(client, {
      base: { repository: baseName.repository, reference: baseName.reference },
      target: repository,
      layers,
      changes: {
        entrypoint: ["node", "/opt/hangar/index.mjs"],
        user: "1000:1000",
        ...(hasRuntime(plugin) ? { env: { ...RUNTIME_ENV } } : {}),
        labels: labels(plugin, s),
        created: s.build.created ?? new Date(0).toISOString(),
      },
      platforms: s.platforms,
      baseClient,
      log: (line) => say(`${repository}: ${line}`),
    });
    for (const d of moving) await tagIndex(client, repository, d.tag, index.bytes);
    say(`${s.registry}/${repository}@${index.digest} as ${moving.map((d) => d.tag).join(", ")}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2), process.env).catch((error: unknown) => {
    console.error(`error: [publish] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
