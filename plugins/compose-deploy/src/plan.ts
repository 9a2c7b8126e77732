import path from "node:path";
import type { SshLogin } from "@hangar/kit";
import {
  type HostAddress,
  matchFiles,
  parseHost,
  readWorkspaceBytes,
  remoteDirname,
  slug,
  sshLogins,
} from "@hangar/kit";
import { shippedFile } from "./inputs.ts";
import { decideWays, mergeServiceShapes, readServiceShapes, type ServiceWay } from "./service-shape.ts";
import type { Context, Settings, STRATEGIES, VERIFY_FROM } from "./settings.ts";

/** A workspace file shipped with the release, at the same relative path. */
export interface ShippedFile {
  relative: string;
  /** The setting that names it, for messages. */
  setting: "compose_files" | "env_files";
  absolute: string;
  size: number;
}

export interface DeployPlan {
  /** The workspace the shipped files are read from (again, through the kit's reader). */
  workspace: string;
  /** The build being deployed, recorded in the release's manifest and the lock's holder file. */
  build: BuildStamp;
  /** Deploy even over a newer build (`force`, or a `promote`/`rollback` event). */
  allowOlder: boolean;
  lockTimeoutMs: number;
  hosts: HostAddress[];
  /** How to log in to each host; the address is filled in per host. */
  login: Omit<SshLogin, "address">;
  proxy?: SshLogin | undefined;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  project: string;
  target: string;
  /** `<build>-<sha>`: the name of this deploy's directory under `<target>/releases`. */
  release: string;
  files: ShippedFile[];
  /** Relative paths, in `-f` order. */
  composeFiles: string[];
  /** The `.env` written next to the first compose file: names and values, and which are secret. */
  dotenv?: { path: string; entries: [string, string][]; secret: string[] } | undefined;
  services?: string[] | undefined;
  pull: boolean;
  removeOrphans: boolean;
  registry?: { server?: string | undefined; username: string; password: string } | undefined;
  wait?: { timeoutMs: number } | undefined;
  verify?:
    | {
        url: string;
        status: number;
        retries: number;
        intervalMs: number;
        timeoutMs: number;
        from: (typeof VERIFY_FROM)[number];
      }
    | undefined;
  rollback: boolean;
  keepReleases: number;
  prune: boolean;
  /** `update: rollout`: how each service is replaced; undefined for `recreate` (`up -d`). */
  rollout?: RolloutPlan | undefined;
  strategy: (typeof STRATEGIES)[number];
  insecure: boolean;
}

export interface RolloutPlan {
  ways: ServiceWay[];
  drainMs: number;
  /** `canary`: one new container first, for `durationMs`, probed every `intervalMs`. */
  canary?: { durationMs: number; intervalMs: number } | undefined;
}

/** Which build a release or a lock belongs to. */
export interface BuildStamp {
  number?: number | undefined;
  commit: string;
  event: string;
  link?: string | undefined;
  /** A promotion's environment (`drone build promote <repo> <build> production`). */
  deployTo?: string | undefined;
  /** The build a promotion promotes (`DRONE_BUILD_PARENT`). */
  parent?: number | undefined;
}

/** `build 7 promoted to production`, for a promotion; undefined for any other build. */
export function describePromotion(build: BuildStamp): string | undefined {
  if (build.event !== "promote" && build.event !== "rollback") return undefined;
  const which = build.parent !== undefined ? `build ${build.parent}` : `commit ${build.commit.slice(0, 8)}`;
  const verb = build.event === "promote" ? "promoted" : "rolled back";
  return `${which} ${verb} to ${build.deployTo || "(no target)"}${build.number !== undefined ? ` as build ${build.number}` : ""}`;
}

/** Drone's events that redeploy an older build on purpose. */
export const DELIBERATE_EVENTS = ["promote", "rollback"];

export async function planDeploy(settings: Settings, context: Context): Promise<DeployPlan> {
  const { build, env, log } = context;
  const workspace = build.workspace;
  const hosts = settings.host.map((value) => parseHost(value, settings.port) as HostAddress);
  const { login, proxy } = await sshLogins(settings, workspace, log, "the deploy, its files and secrets");

  const project = settings.project ?? projectFromRepo(build.repo.name);
  const files: ShippedFile[] = [];
  for (const relative of settings.compose_files) {
    const { real, size } = await shippedFile(workspace, relative, "compose_files");
    files.push({ relative: normalise(relative), absolute: real, size, setting: "compose_files" });
  }
  if (settings.env_files?.length) {
    const matched = await matchFiles(workspace, settings.env_files);
    for (const file of matched.files) {
      if (!files.some((known) => known.relative === file.relative))
        files.push({ ...file, setting: "env_files" });
    }
  }

  const entries: [string, string][] = Object.entries(settings.env ?? {});
  for (const name of settings.env_secrets ?? []) {
    const value = env[name] ?? "";
    log.mask.add(value);
    entries.push([name, value]);
  }

  return {
    workspace,
    build: {
      number: build.build.number,
      commit: build.commit.sha,
      event: build.build.event,
      link: build.build.link,
      deployTo: build.build.deployTo,
      parent: /^\d+$/.test(env.DRONE_BUILD_PARENT ?? "") ? Number(env.DRONE_BUILD_PARENT) : undefined,
    },
    allowOlder: settings.force || DELIBERATE_EVENTS.includes(build.build.event),
    lockTimeoutMs: settings.lock_timeout,
    hosts,
    login,
    proxy,
    connectTimeoutMs: settings.timeout,
    commandTimeoutMs: settings.command_timeout,
    project,
    target: settings.target ?? `/opt/${project}`,
    release: releaseName(build.build.number, build.commit.shortSha),
    files,
    composeFiles: settings.compose_files.map(normalise),
    dotenv:
      entries.length > 0
        ? { path: dotenvPath(settings.compose_files), entries, secret: settings.env_secrets ?? [] }
        : undefined,
    services: settings.services?.length ? settings.services : undefined,
    pull: settings.pull,
    removeOrphans: settings.remove_orphans,
    registry: settings.registry_username
      ? {
          server: settings.registry,
          username: settings.registry_username,
          password: settings.registry_password ?? "",
        }
      : undefined,
    wait: settings.wait ? { timeoutMs: settings.wait_timeout } : undefined,
    verify: settings.verify_url
      ? {
          url: settings.verify_url,
          status: settings.verify_status,
          retries: settings.verify_retries,
          intervalMs: settings.verify_interval,
          timeoutMs: settings.timeout,
          from: settings.verify_from,
        }
      : undefined,
    rollback: settings.rollback,
    keepReleases: settings.keep_releases,
    prune: settings.prune,
    rollout:
      settings.update === "rollout"
        ? {
            ways: (await serviceWays(workspace, settings.compose_files, settings.services)).ways,
            drainMs: settings.drain,
            canary: settings.canary
              ? { durationMs: settings.canary, intervalMs: settings.verify_interval }
              : undefined,
          }
        : undefined,
    strategy: settings.strategy,
    insecure: settings.insecure_ignore_host_key,
  };
}

/** Each service's way under `update: rollout`, from the compose files in the workspace. */
export async function serviceWays(
  workspace: string,
  composeFiles: readonly string[],
  named: readonly string[] | undefined,
): Promise<ReturnType<typeof decideWays>> {
  const shapes = [];
  for (const file of composeFiles) {
    const text = (await readWorkspaceBytes(workspace, file, { setting: "compose_files" })).toString("utf8");
    shapes.push(readServiceShapes(text));
  }
  return decideWays(mergeServiceShapes(shapes), named?.length ? named : undefined);
}

export function projectFromRepo(name: string): string {
  return slug(name);
}

export function releaseName(buildNumber: number | undefined, shortSha: string): string {
  return `${buildNumber ?? "local"}-${shortSha.replace(/[^\w.-]/g, "") || "head"}`;
}

/** The generated `.env` sits next to the first compose file, where compose looks for it. */
export function dotenvPath(composeFiles: readonly string[]): string {
  const first = normalise(composeFiles[0] ?? "docker-compose.yml");
  const dir = remoteDirname(`/${first}`).slice(1);
  return dir ? `${dir}/.env` : ".env";
}

function normalise(relative: string): string {
  return path.posix.normalize(relative.split(path.sep).join("/")).replace(/^\.\//, "");
}
