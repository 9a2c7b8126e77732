import { mkdir, stat } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import {
  errorMessage,
  formatBytes,
  formatRate,
  HangarError,
  type Logger,
  quote,
  type RemoteHost,
  remoteJoin,
  type TransferProgress,
  type TransferTotals,
  transferProgress,
  untilAborted,
} from "@hangar/kit";
import type { ClientChannel, SFTPWrapper } from "ssh2";
import { groupScript, innerCommand } from "./remote-group.ts";
import {
  type CommandResult,
  display,
  type Forward,
  MAX_CAPTURE,
  type Runner,
  type RunOptions,
  type Started,
  type StartOptions,
} from "./runner.ts";

/** After a kill, how long the channel may take to report the exit before it is closed. */
const KILL_CLOSE_MS = 3_000;
/** Starting SFTP is one short exchange; a host that has not answered by then will not. */
const SFTP_OPEN_TIMEOUT_MS = 30_000;
/** Fetching the logs back: evidence worth a wait, not one that holds the step. */
const FETCH_LOGS_TIMEOUT_MS = 60_000;

/**
 * Emulator, adb and Appium on a host over ONE SSH connection: every command and process is a
 * channel on it (in a process group of its own on the host, killed when its channel goes, see
 * remote-group.ts), the APK goes over SFTP on it, Appium's port is forwarded through it. The
 * step's files live in a temporary directory on the host; the logs that belong in the artifacts
 * (emulator, logcat, Appium) are fetched back when the runner closes.
 */
export class SshRunner implements Runner {
  readonly where: string;
  readonly workDir: string;
  readonly #remote: RemoteHost;
  readonly #artifacts: string;
  readonly #log: Logger;
  readonly #cleanupSignal: AbortSignal;
  /** Remote log file → where it goes in the local artifacts. */
  readonly #logs = new Map<string, string>();
  readonly #forwards: Forward[] = [];
  readonly #channels = new Set<ClientChannel>();
  readonly #disconnect: () => void;
  #closed = false;
  #sftpFailure: string | undefined;
  readonly #moved = { bytes: 0, ms: 0 };

  private constructor(
    remote: RemoteHost,
    workDir: string,
    artifacts: string,
    log: Logger,
    cleanupSignal: AbortSignal,
    disconnect: () => void,
  ) {
    this.where = `host ${remote.label}`;
    this.#remote = remote;
    this.workDir = workDir;
    this.#artifacts = artifacts;
    this.#log = log;
    this.#cleanupSignal = cleanupSignal;
    this.#disconnect = disconnect;
  }

  /** A work directory of the step's own on the host, for its logs and the APK. */
  static async open(
    remote: RemoteHost,
    artifacts: string,
    log: Logger,
    cleanupSignal: AbortSignal,
    disconnect: () => void = () => remote.close(),
  ): Promise<SshRunner> {
    const made = await remote.exec(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the host shell's parameter, not JavaScript's
      { script: 'mktemp -d "${TMPDIR:-/tmp}/hangar-e2e.XXXXXX"', display: "mktemp -d" },
      { quiet: true, timeoutMs: 30_000 },
    );
    const workDir = made.stdout.trim();
    log.info(`work directory on ${remote.label}: ${workDir}`);
    return new SshRunner(remote, workDir, artifacts, log, cleanupSignal, disconnect);
  }

  appiumCommand(): { file: string; prefix: string[] } {
    return { file: "appium", prefix: [] };
  }

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (!options.quiet) this.#log.info(`+ ${display(file, args)}`);
    const script = groupScript(
      innerCommand(file, args, {
        env: options.env,
        cwd: options.cwd,
        input: options.input,
      }),
      false,
    );
    let channel: ClientChannel;
    try {
      channel = await this.#channel(script);
    } catch (error) {
      return {
        stdout: "",
        stderr: `no SSH channel to ${this.#remote.label}: ${errorMessage(error)}`,
        exitCode: 255,
      };
    }
    return new Promise((resolve) => {
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      let killed = false;
      let closer: NodeJS.Timeout | undefined;
      const kill = () => {
        if (killed) return;
        killed = true;
        stopChannel(channel);
        closer = setTimeout(() => channel.close(), KILL_CLOSE_MS);
      };
      const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
      options.signal?.addEventListener("abort", kill, { once: true });
      if (options.signal?.aborted) kill();
      channel.on("data", (chunk: Buffer) => {
        if (stdout.length < MAX_CAPTURE) stdout += chunk.toString();
      });
      channel.stderr.on("data", (chunk: Buffer) => {
        if (stderr.length < MAX_CAPTURE) stderr += chunk.toString();
      });
      channel.on("exit", (exitCode: number | null) => {
        code = typeof exitCode === "number" ? exitCode : null;
      });
      channel.on("close", (closeCode?: number | null) => {
        clearTimeout(timer);
        clearTimeout(closer);
        options.signal?.removeEventListener("abort", kill);
        const exitCode = code ?? exitOf(closeCode);
        resolve({ stdout: stdout.trimEnd(), stderr: stderr.trimEnd(), exitCode: killed ? null : exitCode });
      });
    });
  }

  async start(name: string, file: string, args: readonly string[], options: StartOptions): Promise<Started> {
    const logFile = this.#remoteFile(options.logFile);
    this.#log.info(`+ ${display(file, args)} > ${logFile} (on ${this.#remote.label})`);
    const inner = `mkdir -p ${quote(path.posix.dirname(logFile))} && ${innerCommand(file, args, {
      env: options.env,
      cwd: options.cwd,
      output: logFile,
    })}`;
    const channel = await this.#channel(groupScript(inner, true));
    let alive = true;
    let pid = -1;
    const pidKnown = new Promise<void>((resolve) => {
      let head = "";
      const onData = (chunk: Buffer) => {
        head += chunk.toString();
        const match = /^pid (\d+)\n/.exec(head);
        if (match) {
          pid = Number(match[1]);
          channel.off("data", onData);
          resolve();
        }
      };
      channel.on("data", onData);
      channel.once("close", () => resolve());
    });
    let code: number | null = null;
    const exited = new Promise<number | null>((resolve) => {
      channel.on("exit", (exitCode: number | null) => {
        code = typeof exitCode === "number" ? exitCode : null;
      });
      channel.on("close", (closeCode?: number | null) => {
        alive = false;
        resolve(code ?? exitOf(closeCode));
      });
    });
    channel.stderr.on("data", (chunk: Buffer) => this.#log.debug(`${name}: ${chunk.toString().trimEnd()}`));
    await pidKnown;
    return {
      name,
      pid,
      exited,
      running: () => alive,
      kill: (signal) => {
        if (!alive) return;
        // The watchdog on the host signals the process group; KILL also ends its channel.
        if (signal === "SIGKILL") stopChannel(channel);
        else channel.write(`${signal.replace(/^SIG/, "")}\n`);
      },
    };
  }

  async upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<string> {
    const target = remoteJoin(this.workDir, remoteName);
    const name = path.basename(localPath);
    const what = `uploading ${name} to ${this.#remote.label}:${target} over SFTP`;
    const { size } = await stat(localPath);
    const totals = await this.#moving(`↑ ${name}`, size, (progress) =>
      this.#sftp(what, signal, (sftp, done) =>
        sftp.fastPut(localPath, target, { step: (_sent, chunk) => progress.add(chunk) }, done),
      ),
    );
    this.#log.info(
      `uploaded ${name} to ${this.#remote.label}:${target} over SFTP (${describeTotals(totals)})`,
    );
    return target;
  }

  /** What went over SFTP so far (the APK up, the logs down), for the card. */
  transferred(): TransferTotals {
    const { bytes, ms } = this.#moved;
    return { bytes, ms, rate: ms > 0 ? (bytes * 1000) / ms : 0 };
  }

  /** One transfer with its progress lines every 5 s; its bytes and time count for `transferred`. */
  async #moving(
    name: string,
    total: number | undefined,
    transfer: (progress: TransferProgress) => Promise<void>,
  ): Promise<TransferTotals> {
    const progress = transferProgress({ name, total, report: (line) => this.#log.info(line) });
    try {
      await transfer(progress);
    } finally {
      const totals = progress.done();
      this.#moved.bytes += totals.bytes;
      this.#moved.ms += totals.ms;
    }
    return progress.done();
  }

  async tail(file: string, lines: number): Promise<string> {
    const result = await this.run("tail", ["-n", String(lines), this.#remoteFile(file)], {
      quiet: true,
      timeoutMs: 10_000,
    });
    return result.exitCode === 0 ? result.stdout : "";
  }

  async freePort(): Promise<number> {
    // Node is on the host for Appium anyway; python3 where it is not yet.
    const script = [
      "if command -v node >/dev/null 2>&1; then",
      `  node -e ${quote("const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}`,
      "else",
      `  python3 -c ${quote("import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")}`,
      "fi",
    ].join("\n");
    const result = await this.#remote.exec(
      { script, display: "a free port" },
      { quiet: true, timeoutMs: 30_000 },
    );
    const port = Number(result.stdout.trim());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`no free port on ${this.#remote.label}`);
    return port;
  }

  async forward(port: number): Promise<Forward> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      this.#remote.forward("127.0.0.1", port).then(
        (channel) => {
          socket.pipe(channel).pipe(socket);
          channel.once("close", () => socket.destroy());
          socket.once("close", () => channel.close());
          channel.on("error", () => socket.destroy());
          socket.on("error", () => channel.close());
        },
        () => socket.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const local = (server.address() as { port: number }).port;
    this.#log.info(`forwarding 127.0.0.1:${local} to ${this.#remote.label}'s 127.0.0.1:${port} over SSH`);
    const forward: Forward = {
      url: `http://127.0.0.1:${local}`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
    this.#forwards.push(forward);
    return forward;
  }

  /** Fetches the logs into the artifacts, removes the work directory, ends the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const forward of this.#forwards.splice(0)) await forward.close();
      if (!this.#cleanupSignal.aborted) await this.#fetchLogs();
      if (!this.#cleanupSignal.aborted) {
        await this.#remote
          .withSignal(this.#cleanupSignal)
          .exec(["rm", "-rf", this.workDir], { quiet: true, allowFailure: true, timeoutMs: 10_000 })
          .catch(() => undefined);
      }
    } finally {
      // Any channel still open ends with the connection; its watchdog kills the group it ran.
      for (const channel of this.#channels) stopChannel(channel);
      this.#remote.close();
      this.#disconnect();
    }
  }

  /**
   * The logs are evidence, not the step's result: bounded by a deadline of their own and by the
   * clean-up's, a host whose SFTP does not answer costs a warning, never the clean-up after it.
   */
  async #fetchLogs(): Promise<void> {
    if (this.#logs.size === 0) return;
    const signal = AbortSignal.any([this.#cleanupSignal, AbortSignal.timeout(FETCH_LOGS_TIMEOUT_MS)]);
    const fetched: string[] = [];
    for (const [remote, local] of this.#logs) {
      try {
        await mkdir(path.dirname(local), { recursive: true });
        await this.#moving(`↓ ${path.basename(local)}`, undefined, (progress) =>
          this.#sftp(`fetching ${remote} from ${this.#remote.label} over SFTP`, signal, (sftp, done) =>
            sftp.fastGet(remote, local, { step: (_got, chunk) => progress.add(chunk) }, done),
          ),
        );
        fetched.push(path.basename(local));
      } catch (error) {
        this.#log.warn(errorMessage(error));
        if (signal.aborted) break;
      }
    }
    if (fetched.length > 0) this.#log.info(`fetched ${fetched.join(", ")} from ${this.#remote.label}`);
  }

  /**
   * One SFTP operation under `signal` (the step's deadline and the cancel): SFTP has no deadline
   * of its own, and a host whose SFTP server never answers would hold the step forever. When the
   * signal aborts, the operation's SFTP session is ended (the transfer stops with it) and the
   * signal's reason is thrown; any other failure is an E_SFTP naming what failed.
   */
  async #sftp(
    what: string,
    signal: AbortSignal | undefined,
    operation: (sftp: SFTPWrapper, done: (error?: Error | null) => void) => void,
  ): Promise<void> {
    const deadline = AbortSignal.any([
      ...(signal ? [signal] : []),
      AbortSignal.timeout(SFTP_OPEN_TIMEOUT_MS),
    ]);
    // A host whose SFTP failed to start once fails every later transfer at once, with that reason.
    if (this.#sftpFailure) throw sftpError(what, this.#sftpFailure);
    let sftp: SFTPWrapper;
    try {
      sftp = await untilAborted(this.#remote.sftp(), deadline);
    } catch (error) {
      if (signal?.aborted) {
        // The same pending start is all a later transfer (the logs, at clean-up) would get.
        this.#sftpFailure = "the host's SFTP server had not answered when the step was stopped";
        throw signal.reason;
      }
      this.#sftpFailure = deadline.aborted
        ? `the host's SFTP server did not answer within ${SFTP_OPEN_TIMEOUT_MS / 1000}s`
        : errorMessage(error);
      throw sftpError(what, this.#sftpFailure);
    }
    try {
      await untilAborted(
        new Promise<void>((resolve, reject) =>
          operation(sftp, (error) => (error ? reject(error) : resolve())),
        ),
        signal,
      );
    } catch (error) {
      if (signal?.aborted) {
        sftp.end();
        throw signal.reason;
      }
      throw sftpError(what, errorMessage(error));
    }
  }
  /** A file in the local artifacts has its twin in the work directory on the host. */
  #remoteFile(file: string): string {
    const relative = path.relative(this.#artifacts, file);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return file;
    const remote = remoteJoin(this.workDir, relative.split(path.sep).join("/"));
    this.#logs.set(remote, file);
    return remote;
  }

  async #channel(script: string): Promise<ClientChannel> {
    const channel = await this.#remote.channel(script);
    this.#channels.add(channel);
    channel.once("close", () => this.#channels.delete(channel));
    return channel;
  }
}

/**
 * The exit status as ssh2 passes it to `close`. A fast command's status can arrive in the same
 * packet as the channel's confirmation, so it is emitted as `exit` before a listener that is
 * attached once the channel is handed over can hear it; ssh2 keeps it and gives it to `close`.
 */
function exitOf(closeCode: number | null | undefined): number | null {
  return typeof closeCode === "number" ? closeCode : null;
}

function sftpError(what: string, why: string): HangarError {
  return new HangarError("E_SFTP", `${what} failed: ${why}`, {
    hint: "Check that the host's sshd offers SFTP (`Subsystem sftp` in sshd_config), that the SSH user may write to $TMPDIR (or /tmp) there, and that its disk has room.",
  });
}

/** Asks the host's watchdog to kill the group, then ends the channel's input, which does too. */
function stopChannel(channel: ClientChannel): void {
  try {
    channel.write("KILL\n");
    channel.end();
  } catch {
    // Already closed.
  }
}

/** `12.0 MiB, 3.1s, 3.9 MiB/s` */
function describeTotals(totals: TransferTotals): string {
  return `${formatBytes(totals.bytes)}, ${(totals.ms / 1000).toFixed(1)}s, ${formatRate(totals.rate)}`;
}
