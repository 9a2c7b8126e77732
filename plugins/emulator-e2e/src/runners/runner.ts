import type { TransferTotals } from "@hangar/kit";
/**
 * Where the Android side runs. Every SDK, adb, emulator and Appium command goes through one
 * Runner, so the same boot/prepare/test/clean-up code drives the plugin's own container
 * (runner-local.ts) or a host over one SSH connection (runner-ssh.ts: commands over exec, files
 * over SFTP, Appium's port forwarded).
 */

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed by a signal or its deadline. */
  exitCode: number | null;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Killed after this long; the result then has exitCode null. */
  timeoutMs?: number;
  /** No `+ cmd` line (polls). */
  quiet?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin (licence answers). */
  input?: string;
}

export interface StartOptions {
  /** Where the process's stdout and stderr go, on the runner's side. */
  logFile: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** A long-running process (emulator, logcat, Appium, WebdriverIO) in a process group of its own. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (null for a signal) when the process is gone. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Signals the whole process group, so helpers the process started go with it. */
  kill(signal: NodeJS.Signals): void;
}

export interface Forward {
  /** Where the plugin's container reaches the port. */
  url: string;
  close(): Promise<void>;
}

export interface Runner {
  /** `local` or `host 10.0.0.5`, for the log. */
  readonly where: string;
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  start(name: string, file: string, args: readonly string[], options: StartOptions): Promise<Started>;
  /**
   * Copies a file of the plugin's container to the runner; returns its path there. Stopped by
   * `signal` (the step's deadline and the cancel), which it then rejects with.
   */
  upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<string>;
  /** The last lines of a file on the runner (an emulator's output), "" when it cannot be read. */
  tail(file: string, lines: number): Promise<string>;
  /** A TCP port free on the runner's loopback. */
  freePort(): Promise<number>;
  /** Makes a TCP port on the runner's loopback reachable from the plugin's container. */
  forward(port: number): Promise<Forward>;
  /** How Appium's CLI is started on the runner. */
  appiumCommand(): { file: string; prefix: string[] };
  /** A directory on the runner for the step's files (logs, the APK). */
  readonly workDir: string;
  close(): Promise<void>;
  /** What went over the network to and from the runner (host mode), for the card. */
  transferred?(): TransferTotals;
}

/** Output kept from one command; adb and the SDK tools say what matters in a few lines. */
export const MAX_CAPTURE = 1024 * 1024;

/** A command as the log shows it: `+ adb -s emulator-5554 install …`, quoted where a shell would need it. */
export function display(file: string, args: readonly string[]): string {
  return [file, ...args]
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}
