import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

/**
 * The stand-in SDK's shared state: plain files in one folder, because every adb call is a
 * process of its own, as with the real tools. Facts that several processes touch at once
 * (calls, pids) are appended a line at a time.
 */

export interface AndroidScenario {
  /** `emulator -accel-check` finds a usable /dev/kvm (default true). */
  kvm?: boolean;
  /** getprop polls answering "0" before "1" (default 3). */
  bootPolls?: number;
  /** The first polls once the device is listed answer `error: device offline` (default 1). */
  offlinePolls?: number;
  /** sys.boot_completed never turns 1. */
  neverBoots?: boolean;
  /** The first `adb emu kill` is acknowledged but ignored, as a guest stuck shutting down. */
  ignoreFirstKill?: boolean;
  /** `adb kill-server` starts this late, as adb does on a busy machine (default 0). */
  slowKillServerMs?: number;
  /** How long after start the device shows up in `adb devices` (default 300 ms). */
  registerDelayMs?: number;
  /** AVDs that exist before the run. */
  avds?: string[];
  /** The adb server dies after this many adb calls and is started again by the next one. */
  serverDiesAfterCalls?: number;
  /** `adb install` answers this failure (`INSTALL_FAILED_OLDER_SDK`). */
  installFailure?: string;
  /** build-tools versions installed, each with its aapt2 (default ["35.0.0"]); [] for none. */
  buildTools?: string[];
  /** `cmdline-tools/latest/bin/apkanalyzer` is there, as it is with the command-line tools (default true). */
  apkanalyzer?: boolean;
}

export interface Call {
  tool: string;
  args: string[];
  pid: number;
  at: number;
}

export class SdkState {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  static fromEnv(): SdkState {
    const dir = process.env.HANGAR_ANDROID_STANDIN;
    if (!dir) throw new Error("HANGAR_ANDROID_STANDIN is not set");
    return new SdkState(dir);
  }

  init(scenario: AndroidScenario): void {
    mkdirSync(path.join(this.dir, "avds"), { recursive: true });
    mkdirSync(path.join(this.dir, "images"), { recursive: true });
    writeFileSync(this.file("scenario.json"), JSON.stringify(scenario));
    for (const avd of scenario.avds ?? []) writeFileSync(path.join(this.dir, "avds", avd), "");
  }

  get scenario(): AndroidScenario {
    return JSON.parse(readFileSync(this.file("scenario.json"), "utf8")) as AndroidScenario;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  record(tool: string, args: string[]): void {
    const call: Call = { tool, args, pid: process.pid, at: Date.now() };
    appendFileSync(this.file("calls.jsonl"), `${JSON.stringify(call)}\n`);
  }

  calls(): Call[] {
    return lines(this.file("calls.jsonl")).map((line) => JSON.parse(line) as Call);
  }

  /** A long-lived process of the stand-in: tests check that none outlives the step. */
  spawned(name: string, pid = process.pid): void {
    appendFileSync(this.file("pids.jsonl"), `${JSON.stringify({ name, pid })}\n`);
  }

  processes(): { name: string; pid: number }[] {
    return lines(this.file("pids.jsonl")).map((line) => JSON.parse(line) as { name: string; pid: number });
  }

  read(name: string): string | undefined {
    try {
      return readFileSync(this.file(name), "utf8");
    } catch {
      return undefined;
    }
  }

  write(name: string, value: string): void {
    writeFileSync(this.file(name), value);
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  exists(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** Increments a counter and returns its new value. Only ever touched by one caller at a time. */
  bump(name: string): number {
    const value = Number(this.read(name) ?? "0") + 1;
    this.write(name, String(value));
    return value;
  }

  avds(): string[] {
    return readdirSync(path.join(this.dir, "avds")).sort();
  }
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // An exited daemon that nobody has reaped yet (an orphan under a PID 1 that does not reap, as in
  // many containers) still answers signal 0 but runs no more: `adb kill-server` must not wait on it.
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S …": the state follows the last ')' (comm may hold one).
    return stat.charAt(stat.lastIndexOf(")") + 2) === "Z";
  } catch {
    return false;
  }
}
