import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Deadline for the whole wait. */
  timeoutMs: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** Checked before every attempt: a message ends the wait at once (e.g. "sshd exited with code 255"). */
  failIf?: () => string | undefined;
}

/**
 * Polls `check` until it returns true; rejects with what it waited for and the last problem
 * seen when the deadline passes or `failIf` reports that waiting longer is pointless.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = "";
  for (;;) {
    const fatal = options.failIf?.();
    if (fatal) throw new Error(`gave up waiting for ${what}: ${fatal}`);
    try {
      if (await check()) return;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      const suffix = lastProblem ? ` (last error: ${lastProblem})` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}
