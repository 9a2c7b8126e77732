import type { RemoteHost } from "@hangar/kit";
import { formatDuration, HangarError, type Logger, remoteJoin, sh } from "@hangar/kit";
import type { ClientChannel } from "ssh2";
import { COMPOSE_PROBE, parseComposeProbe } from "./compose.ts";
import type { BuildStamp } from "./plan.ts";

/**
 * Deploys to one target take turns. The lock is `flock` on `<target>/.hangar-deploy.lock`, held
 * by a shell on an exec channel of the deploy's own SSH connection: the shell waits on its stdin,
 * so it exits, and the kernel drops the lock, when the deploy releases it or when the connection
 * dies with the runner (killed, cancelled, rebooted). Nothing can leave the lock taken for good.
 * Who holds it is written next to it, so a waiting deploy can say what it waits for.
 */

export const LOCK_FILE = ".hangar-deploy.lock";
export const HOLDER_FILE = ".hangar-deploy.holder";

/** Who holds the lock, as its holder file records it. */
export interface LockHolder {
  build?: number | undefined;
  commit?: string | undefined;
  release?: string | undefined;
  link?: string | undefined;
  since?: string | undefined;
}

export interface HostLock {
  /** Ends the holding shell; the lock is free when the host has seen the channel close. */
  release(): void;
  /** What the host printed before the lock was held: the compose probe, and what `whenHeld` printed. */
  said: string[];
}

export interface LockOptions {
  target: string;
  release: string;
  build: BuildStamp;
  timeoutMs: number;
  now: () => Date;
  log: Logger;
  signal?: AbortSignal | undefined;
  /**
   * Shell lines run once the lock is held, before it is reported: the first look at the host
   * rides on the lock's round trip. They must not exit; a line `refused=<why>` fails the deploy.
   */
  whenHeld?: string | undefined;
}

/** The script the holding shell runs; its stdout says `locked`, or `busy <holder>` first. */
export function lockScript(target: string, holder: string, timeoutSeconds: number, whenHeld = ""): string {
  const lock = remoteJoin(target, LOCK_FILE);
  const info = remoteJoin(target, HOLDER_FILE);
  return [
    // A host without compose is told as such first, not as one without flock (a PATH without docker).
    COMPOSE_PROBE,
    '[ -n "$found" ] || exit 3',
    sh`command -v flock >/dev/null 2>&1 || { echo 'no-flock'; exit 3; }`,
    sh`mkdir -p ${target} && exec 9>>${lock} || { echo "cannot-open $(id -un)"; exit 3; }`,
    sh`if ! flock -n 9; then printf 'busy %s\\n' "$(head -c 2000 ${info} 2>/dev/null | tr -d '\\n')"; flock -w ${String(timeoutSeconds)} 9 || { echo timeout; exit 4; }; fi`,
    sh`printf '%s\\n' ${holder} > ${info}`,
    whenHeld,
    "echo locked",
    // Held until the deploy closes stdin or the connection goes.
    "cat >/dev/null",
  ].join("\n");
}

export function describeHolder(text: string): string {
  let holder: LockHolder = {};
  try {
    holder = JSON.parse(text) as LockHolder;
  } catch {
    return "another deploy (its holder file is unreadable)";
  }
  const build = holder.build !== undefined ? `build ${holder.build}` : "a deploy";
  const commit = holder.commit ? ` (commit ${holder.commit.slice(0, 8)})` : "";
  const release = holder.release ? `, release ${holder.release}` : "";
  const since = holder.since ? ` since ${holder.since}` : "";
  const link = holder.link ? `, ${holder.link}` : "";
  return `${build}${commit}${release}${since}${link}`;
}

/**
 * Takes the target's lock on the deploy's connection, waiting up to `timeoutMs` for another
 * deploy to finish. Throws E_LOCK_TIMEOUT when it does not in time.
 */
export async function acquireLock(remote: RemoteHost, options: LockOptions): Promise<HostLock> {
  const { log, target } = options;
  const holder: LockHolder = {
    build: options.build.number,
    commit: options.build.commit,
    release: options.release,
    link: options.build.link,
    since: options.now().toISOString(),
  };
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const channel = await remote.channel(lockScript(target, JSON.stringify(holder), seconds, options.whenHeld));
  // A channel that fails after the lock was taken ends with its connection; the deploy's own
  // commands on that connection report it.
  channel.on("error", (error: Error) => log.debug(`deploy lock channel: ${error.message}`));
  const release = () => {
    channel.end();
    channel.close();
  };
  const said: string[] = [];
  try {
    await waitForLine(channel, remote.label, options, (line) => {
      said.push(line);
      if (line.startsWith("busy")) {
        log.info(
          `waiting up to ${formatDuration(options.timeoutMs)} for the deploy lock on ${target}: held by ${describeHolder(line.slice(5))}`,
        );
        return false;
      }
      return line === "locked";
    });
  } catch (error) {
    release();
    throw error;
  }
  log.info(`holding the deploy lock on ${remoteJoin(target, LOCK_FILE)}`);
  return { release, said };
}

function waitForLine(
  channel: ClientChannel,
  host: string,
  options: LockOptions,
  done: (line: string) => boolean,
): Promise<void> {
  const { target, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    let pending = "";
    let last = "";
    const finish = (error?: Error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      channel.off("data", onData);
      channel.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const timeout = () =>
      new HangarError(
        "E_LOCK_TIMEOUT",
        `another deploy held the lock on ${target} for longer than lock_timeout (${formatDuration(timeoutMs)})${last.startsWith("busy") ? `: ${describeHolder(last.slice(5))}` : ""}`,
        {
          hint: "Nothing was changed. Raise `lock_timeout`, or let the pipeline wait its turn (`concurrency: limit: 1`).",
        },
      );
    const onData = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        last = line.startsWith("busy") ? line : last;
        if (line === "timeout") return finish(timeout());
        if (line.startsWith("compose=none")) {
          try {
            parseComposeProbe(line.slice("compose=".length), host);
          } catch (error) {
            return finish(error as Error);
          }
        }
        if (line === "no-flock")
          return finish(
            new HangarError(
              "E_NO_FLOCK",
              `${host} has no \`flock\` on the PATH of the SSH user, for the deploy lock on ${target}`,
              {
                hint: "Install util-linux (Debian, Ubuntu) or busybox's flock on the host.",
              },
            ),
          );
        if (line.startsWith("refused="))
          return finish(
            new HangarError("E_TARGET", `${host}: ${line.slice("refused=".length)}`, {
              hint: "Check that the SSH user may write `target`.",
            }),
          );
        if (line.startsWith("cannot-open"))
          return finish(
            new HangarError("E_LOCK", `cannot create ${remoteJoin(target, LOCK_FILE)} as ${line.slice(12)}`, {
              hint: "Check that the SSH user may write `target`.",
            }),
          );
        if (done(line)) return finish();
      }
    };
    const onClose = () => finish(new HangarError("E_LOCK", `the deploy lock's channel on ${target} closed`));
    const onAbort = () => finish(options.signal?.reason as Error);
    // The host's `flock -w` bounds the wait too; this one also covers a host that stops answering.
    const timer = setTimeout(() => finish(timeout()), timeoutMs + 5_000);
    channel.on("data", onData);
    channel.on("close", onClose);
    channel.stderr.on("data", () => {});
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
