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
  const release = link.stdout.trim().replace(/\/+$/, "").split("/").pop();
  if (link.code !== 0 || !release) return undefined;
  const manifest = await readManifest(remote, target, release).catch(() => undefined);
  return { release, build: buildOf(release, manifest?.build), commit: manifest?.commit };
}

/**
 * A deploy killed while it was logged in to the registry leaves its Docker config, with the
 * credentials, in `<target>/.docker-*`. Under the lock no other deploy of this target is running,
 * so every such folder is stale: removed at the start of each deploy.
 */
export async function removeStaleDockerConfigs(
  remote: RemoteHost,
  target: string,
  log: Logger,
): Promise<void> {
  const result = await remote.exec(
    {
      script: sh`cd ${target} 2>/dev/null || exit 0
for dir in .docker-*; do [ -e "$dir" ] || continue; rm -rf -- "$dir" && printf '%s\\n' "$dir"; done`,
    },
    { quiet: true },
  );
  const removed = result.stdout.split("\n").filter(Boolean);
  if (removed.length > 0) {
    log.warn(
      `removed ${removed.length} registry login(s) an earlier, interrupted deploy left in ${target}: ${removed.join(", ")}`,
    );
  }
}
