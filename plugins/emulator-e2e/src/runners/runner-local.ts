import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { copyFile, mkdir, open, readFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import type { Logger } from "@hangar/kit";
import { appiumCommand } from "../tools/appium.ts";
import { toolEnvironment } from "../tools/spec-env.ts";
import type { CommandResult, Forward, Runner, RunOptions, Started, StartOptions } from "./runner.ts";
import { display, MAX_CAPTURE } from "./runner.ts";

/** Emulator, adb and Appium in the plugin's own container. */
export class LocalRunner implements Runner {
  readonly where = "local";

  readonly workDir: string;
  private readonly log: Logger;
  private readonly baseEnv: Readonly<Record<string, string | undefined>>;

  constructor(workDir: string, log: Logger, baseEnv: Readonly<Record<string, string | undefined>>) {
    this.workDir = workDir;
    this.log = log;
    this.baseEnv = baseEnv;
  }

  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (!options.quiet) this.log.info(`+ ${display(file, args)}`);
    return new Promise((resolve) => {
      // Its own process group, so a deadline takes `adb wait-for-device`'s helpers with it.
      const child = spawn(file, args, {
        env: this.env(options.env),
        cwd: options.cwd,
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        detached: true,
      });
      if (options.input !== undefined) {
        child.stdin?.on("error", () => {});
        child.stdin?.end(options.input);
      }
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        if (stdout.length < MAX_CAPTURE) stdout += chunk.toString();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        if (stderr.length < MAX_CAPTURE) stderr += chunk.toString();
      });
      const killGroup = () => signalGroup(child.pid, "SIGKILL");
      const timer = options.timeoutMs ? setTimeout(killGroup, options.timeoutMs) : undefined;
      options.signal?.addEventListener("abort", killGroup, { once: true });
      if (options.signal?.aborted) killGroup();
      child.on("error", (error) => {
        clearTimeout(timer);
        resolve({ stdout, stderr: `${stderr}${error.message}`, exitCode: 127 });
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", killGroup);
        resolve({ stdout: stdout.trimEnd(), stderr: stderr.trimEnd(), exitCode: code });
      });
    });
  }

  async start(name: string, file: string, args: readonly string[], options: StartOptions): Promise<Started> {
    this.log.info(`+ ${display(file, args)} > ${options.logFile}`);
    await mkdir(path.dirname(options.logFile), { recursive: true });
    const out = await open(
      options.logFile,
      // Never through a link: the artifacts folder is in the repository's workspace.
      constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW,
      0o644,
    );
    const child = spawn(file, args, {
      env: this.env(options.env),
      cwd: options.cwd,
      stdio: ["ignore", out.fd, out.fd],
      detached: true,
    });
    await out.close();
    let alive = true;
    const exited = new Promise<number | null>((resolve) => {
      child.on("error", (error) => {
        alive = false;
        this.log.warn(`${name} could not start: ${error.message}`);
        resolve(127);
      });
      child.on("exit", (code) => {
        alive = false;
        resolve(code);
      });
    });
    // spawn reports a missing binary asynchronously; by now a pid is either there or not.
    if (child.pid === undefined) await exited;
    return {
      name,
      pid: child.pid ?? -1,
      exited,
      running: () => alive,
      kill: (signal) => {
        if (alive) signalGroup(child.pid, signal);
      },
    };
  }

  appiumCommand(): { file: string; prefix: string[] } {
    return appiumCommand();
  }

  async upload(localPath: string, remoteName: string): Promise<string> {
    // Local: the file is already reachable; copied only when it lives elsewhere than the work dir.
    if (path.dirname(path.resolve(localPath)) === path.resolve(this.workDir)) return localPath;
    const target = path.join(this.workDir, remoteName);
    await mkdir(this.workDir, { recursive: true });
    await copyFile(localPath, target);
    return target;
  }

  async tail(file: string, lines: number): Promise<string> {
    try {
      const text = await readFile(file, "utf8");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  async forward(port: number): Promise<Forward> {
    return { url: `http://127.0.0.1:${port}`, close: async () => {} };
  }

  freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  async close(): Promise<void> {}

  private env(extra: Record<string, string> | undefined): Record<string, string> {
    // The step's settings (tokens, keys) are the plugin's, not the tools'.
    return { ...toolEnvironment(this.baseEnv), ...extra };
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
