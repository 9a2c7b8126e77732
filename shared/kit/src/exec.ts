import { HangarError } from "./errors.ts";
import type { Logger } from "./log.ts";

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Written to the command's stdin: the way to pass a password (`docker login --password-stdin`). */
  input?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Leave out the `+ cmd` trace line (for commands run in a tight loop). */
  quiet?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

const STDERR_TAIL_LINES = 20;

export class CommandFailed extends HangarError {
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(command: string, exitCode: number | undefined, stderr: string, reason: string) {
    const tail = stderr.trimEnd().split("\n").slice(-STDERR_TAIL_LINES).join("\n");
    super("E_COMMAND", `${command} ${reason}${tail ? `:\n${tail}` : ""}`);
    this.name = "CommandFailed";
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * Runs a program from an argument array (never a shell string, so nothing needs quoting),
 * tracing `+ program args` through the masking logger.
 */
export function createExec(log: Logger): Exec {
  return async (file, args, options = {}) => {
    const display = [file, ...args].map(quoteForDisplay).join(" ");
    if (!options.quiet) log.info(`+ ${display}`);
    // Loaded on first use: a plugin's dry run or `--help` should not pay for it.
    const { execa } = await import("execa");
    const result = await execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      input: options.input,
      cancelSignal: options.signal,
      timeout: options.timeoutMs,
      reject: false,
      stripFinalNewline: true,
    });
    if (result.failed) {
      const reason = result.timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : result.isCanceled
          ? "was cancelled"
          : result.exitCode === undefined
            ? `could not run (${result.originalMessage ?? result.shortMessage})`
            : `exited with code ${result.exitCode}`;
      throw new CommandFailed(file, result.exitCode, String(result.stderr ?? ""), reason);
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 0 };
  };
}

function quoteForDisplay(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
