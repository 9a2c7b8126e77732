import { execFile } from "node:child_process";

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A failed command: its exit code (null when killed), output and the command line. */
export class RunError extends Error {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(message: string, exitCode: number | null, stdout: string, stderr: string, cause: unknown) {
    super(message, { cause });
    this.name = "RunError";
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/**
 * Runs a command with an argument array (no shell) and resolves with its output; rejects with
 * the command line, exit status and stderr when it fails or runs past its deadline.
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        env: options.env,
        cwd: options.cwd,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error) {
          const status = error.killed
            ? `killed after ${timeoutMs} ms`
            : `exit ${error.code ?? "?"}${error.signal ? ` (${error.signal})` : ""}`;
          const detail = stderr.trim() || stdout.trim() || error.message;
          const exitCode = typeof error.code === "number" ? error.code : null;
          const message = `${[file, ...args].join(" ")} failed (${status}): ${detail}`;
          reject(new RunError(message, exitCode, stdout, stderr, error));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
