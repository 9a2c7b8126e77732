import type { Logger, RemoteHost } from "@hangar/kit";
import { remoteJoin, sh } from "@hangar/kit";
import { readManifest } from "./release.ts";

/** What `current` names on a host, read back from the host itself: what the step reports. */
export interface RunningRelease {
  release: string;
  build?: number | undefined;
  commit?: string | undefined;
}

/** The build number a release records, or the one in its name (`42-1a2b3c4d`) for older manifests. */
export function buildOf(release: string, recorded?: number): number | undefined {
  if (recorded !== undefined) return recorded;
  const match = /^(\d+)-/.exec(release);
  return match ? Number(match[1]) : undefined;
}

export async function readRunning(remote: RemoteHost, target: string): Promise<RunningRelease | undefined> {
  const link = await remote.exec(
    { script: sh`readlink ${remoteJoin(target, "current")}` },
    { quiet: true, allowFailure: true },
  );
  return link.code === 0 ? runningOf(remote, target, link.stdout) : undefined;
}

/** The release a `current` link (as `readlink` printed it) names, with the build its manifest records. */
export async function runningOf(
  remote: RemoteHost,
  target: string,
  link: string,
): Promise<RunningRelease | undefined> {
  const release = link.trim().replace(/\/+$/, "").split("/").pop();
  if (!release) return undefined;
  const manifest = await readManifest(remote, target, release).catch(() => undefined);
  return { release, build: buildOf(release, manifest?.build), commit: manifest?.commit };
}

/**
 * A deploy killed while it was logged in to the registry leaves its Docker config, with the
 * credentials, in `<target>/.docker-*`. Under the lock no other deploy of this target is running,
 * so every such folder is stale: these shell lines, run under the lock (on its round trip),
 * remove each and print `stale=<folder>`.
 */
export function staleConfigsScript(target: string): string {
  return sh`( cd ${target} 2>/dev/null || exit 0
for dir in .docker-*; do [ -e "$dir" ] || continue; rm -rf -- "$dir" && printf 'stale=%s\\n' "$dir"; done )`;
}

export function reportStaleConfigs(lines: readonly string[], target: string, log: Logger): void {
  const removed = lines.filter((line) => line.startsWith("stale=")).map((line) => line.slice(6));
  if (removed.length > 0) {
    log.warn(
      `removed ${removed.length} registry login(s) an earlier, interrupted deploy left in ${target}: ${removed.join(", ")}`,
    );
  }
}
