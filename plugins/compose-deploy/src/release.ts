import { randomBytes } from "node:crypto";
import type { RemoteHost } from "@hangar/kit";
import { HangarError, mapWithLimit, readWorkspaceBytes, remoteDirname, remoteJoin, sh } from "@hangar/kit";
import type { SFTPWrapper } from "ssh2";
import { type ComposeCommand, parseComposeProbe } from "./compose.ts";

/**
 * The layout on a host: `<target>/releases/<build>-<sha>` holds one deploy's files, `current`
 * links the release that last proved healthy and `previous` the one before it (the rollback
 * target when a release is deployed again). A release is uploaded into a hidden staging
 * directory first and renamed into place, so a release directory is never half written.
 */
export interface ReleaseLayout {
  target: string;
  name: string;
  dir: string;
  staging: string;
  releases: string;
}

export const MANIFEST = ".hangar-release.json";

/** What a release directory records about itself, for a later rollback to it. */
export interface ReleaseManifest {
  release: string;
  project: string;
  composeFiles: string[];
  envFile?: string | undefined;
  services: string[];
  deployedAt: string;
  /** The build and commit deployed: how a later deploy tells an older build from a newer one. */
  build?: number | undefined;
  commit?: string | undefined;
  event?: string | undefined;
}

export function releaseLayout(target: string, name: string): ReleaseLayout {
  const releases = remoteJoin(target, "releases");
  return {
    target,
    name,
    releases,
    dir: remoteJoin(releases, name),
    staging: remoteJoin(releases, `.staging-${name}`),
  };
}

export interface HostState {
  compose: ComposeCommand;
  /** Release names `current` and `previous` point at, when those directories exist. */
  current?: string | undefined;
  previous?: string | undefined;
}

/**
 * Shell lines, run under the deploy lock (on its round trip), that print what `current` and
 * `previous` point at and make a fresh staging directory with the subdirectories the files need.
 * They do not exit: a directory that cannot be made is told as `refused=<why>`.
 */
export function hostStateScript(layout: ReleaseLayout, subdirs: readonly string[]): string {
  const dirs = [layout.staging, ...subdirs.map((dir) => remoteJoin(layout.staging, dir))];
  return [
    sh`for link in current previous; do
  t=$(readlink ${layout.target}/"$link" 2>/dev/null) && [ -d ${layout.target}/"$link"/ ] && printf '%s=%s\\n' "$link" "$t"
done`,
    sh`{ mkdir -p ${layout.releases} && rm -rf ${layout.staging} && mkdir -p ${dirs}; } || printf 'refused=cannot create %s as %s\\n' ${layout.releases} "$(id -un)"`,
  ].join("\n");
}

/** The host's state from the lines the lock's round trip printed (the compose probe's among them). */
export function parseHostState(lines: readonly string[], host: string): HostState {
  const value = (key: string) =>
    lines
      .find((line) => line.startsWith(`${key}=`))
      ?.slice(key.length + 1)
      .trim() || undefined;
  const releaseOf = (target: string | undefined) => target?.replace(/\/+$/, "").split("/").pop() || undefined;
  return {
    compose: parseComposeProbe(value("compose"), host),
    current: releaseOf(value("current")),
    previous: releaseOf(value("previous")),
  };
}

export interface UploadItem {
  /** Path relative to the release directory. */
  relative: string;
  /** A workspace file (read through the kit's reader, links out refused), or the content itself. */
  source: { workspace: string; file: string; setting: string } | { content: string | Buffer };
  mode?: number;
}

/** Writes the files under `dir` (the staging or the release directory) over the connection's SFTP channel. */
export async function uploadFiles(
  remote: RemoteHost,
  dir: string,
  items: readonly UploadItem[],
): Promise<void> {
  const sftp = await remote.sftp();
  await mapWithLimit(items, 4, async (item) => {
    const data =
      "file" in item.source
        ? await readWorkspaceBytes(item.source.workspace, item.source.file, { setting: item.source.setting })
        : Buffer.from(item.source.content);
    const destination = remoteJoin(dir, item.relative);
    await writeRemote(sftp, destination, data, item.mode ?? 0o644).catch((error: unknown) => {
      throw new HangarError(
        "E_UPLOAD",
        `cannot write ${destination} on ${remote.label}: ${(error as Error).message}`,
        { hint: "Check that the SSH user may write `target`, and that the disk is not full." },
      );
    });
  });
}

function writeRemote(sftp: SFTPWrapper, file: string, data: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.writeFile(file, data, { mode }, (error) => (error ? reject(error) : resolve()));
  });
}

export async function readManifest(
  remote: RemoteHost,
  target: string,
  release: string,
): Promise<ReleaseManifest | undefined> {
  const sftp = await remote.sftp();
  const file = remoteJoin(target, "releases", release, MANIFEST);
  const text = await new Promise<string | undefined>((resolve) => {
    sftp.readFile(file, (error, data) => resolve(error ? undefined : data.toString("utf8")));
  });
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ReleaseManifest;
  } catch {
    return undefined;
  }
}

export interface RegistryLogin {
  server?: string | undefined;
  username: string;
  password: string;
}

/**
 * Replaces the release directory by the staging one (a re-run of the same build converges) and,
 * in the same round trip, logs in to the registry with a Docker config of the deploy's own: the
 * login does not outlive the deploy nor touch the user's `~/.docker/config.json`. The password
 * is the command's stdin. Compose v2 is a CLI plugin found through the config directory, so the
 * user's plugins are linked in. Returns that config directory.
 */
export async function installRelease(
  remote: RemoteHost,
  layout: ReleaseLayout,
  registry: RegistryLogin | undefined,
): Promise<string | undefined> {
  const install = sh`rm -rf ${layout.dir} && mv ${layout.staging} ${layout.dir} && touch ${layout.dir}`;
  if (!registry) {
    await remote.exec({ script: install });
    return undefined;
  }
  const dir = remoteJoin(layout.target, `.docker-${layout.name}-${randomBytes(4).toString("hex")}`);
  const login = sh`DOCKER_CONFIG=${dir} docker login --username ${registry.username} --password-stdin ${registry.server ? [registry.server] : []}`;
  await remote.exec(
    {
      script: [
        install,
        sh`(umask 077 && mkdir -p ${dir})`,
        sh`{ [ ! -d "$HOME/.docker/cli-plugins" ] || ln -s "$HOME/.docker/cli-plugins" ${remoteJoin(dir, "cli-plugins")}; }`,
        login,
      ].join(" && "),
      display: `${install} && ${login}`,
    },
    { stdin: `${registry.password}\n` },
  );
  return dir;
}

/** Removes a release this deploy created and that nothing points at. */
export async function removeRelease(remote: RemoteHost, layout: ReleaseLayout): Promise<void> {
  await remote.exec({ script: sh`rm -rf ${layout.dir} ${layout.staging}` }, { allowFailure: true });
}

export interface ReleaseEntry {
  name: string;
  mtime: number;
}

export async function listReleases(remote: RemoteHost, layout: ReleaseLayout): Promise<ReleaseEntry[]> {
  const sftp = await remote.sftp();
  return new Promise((resolve, reject) => {
    sftp.readdir(layout.releases, (error, list) =>
      error
        ? reject(error)
        : resolve(
            list
              .filter((item) => item.attrs.isDirectory())
              .map((item) => ({ name: item.filename, mtime: item.attrs.mtime })),
          ),
    );
  });
}

/**
 * The releases beyond the `keep` newest, never the ones `current` and `previous` point at.
 * Newest by modification time, then by build number (deploys within one second).
 */
export function releasesToPrune(
  entries: readonly ReleaseEntry[],
  keep: number,
  protect: readonly (string | undefined)[],
): string[] {
  const build = (name: string) => Number(/^(\d+)-/.exec(name)?.[1] ?? -1);
  const sorted = [...entries]
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => b.mtime - a.mtime || build(b.name) - build(a.name) || b.name.localeCompare(a.name));
  return sorted
    .slice(keep)
    .map((entry) => entry.name)
    .filter((name) => !protect.includes(name));
}

/**
 * After a good deploy, one round trip: `current` → this release, `previous` → the release that
 * was current (when that was another), the old releases removed, the Docker config too. Returns
 * what `current` names then, as the host reads it.
 */
export async function finishRelease(
  remote: RemoteHost,
  layout: ReleaseLayout,
  options: { wasCurrent: string | undefined; prune: readonly string[]; dockerConfig: string | undefined },
): Promise<string> {
  const lines = [sh`cd ${layout.target}`];
  if (options.wasCurrent && options.wasCurrent !== layout.name) {
    lines.push(sh`ln -sfn ${`releases/${options.wasCurrent}`} previous`);
  }
  lines.push(sh`ln -sfn ${`releases/${layout.name}`} current`);
  if (options.prune.length > 0) lines.push(sh`(cd releases && rm -rf -- ${options.prune})`);
  if (options.dockerConfig) lines.push(sh`rm -rf ${options.dockerConfig}`);
  // Read back in the same round trip: what the step reports is what the host has.
  lines.push("readlink current");
  const result = await remote.exec({ script: lines.join(" && ") });
  return result.stdout.trim();
}

export async function removeDockerConfig(remote: RemoteHost, dir: string): Promise<void> {
  await remote.exec({ script: sh`rm -rf ${dir}` }, { quiet: true, allowFailure: true });
}

export function parentDirs(relativePaths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const file of relativePaths) {
    const dir = remoteDirname(`/${file}`).slice(1);
    if (dir) dirs.add(dir);
  }
  return [...dirs];
}
