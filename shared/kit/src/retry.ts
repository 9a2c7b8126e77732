import { setTimeout as sleep } from "node:timers/promises";
import pRetry, { AbortError } from "p-retry";
import { HangarError } from "./errors.ts";
import { formatDuration } from "./settings/describe.ts";

export interface RetryOptions {
  /** What is being tried, for the log: `sending the mail`. */
  what: string;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Delay before the first retry; it doubles each time, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Whether an error is worth another attempt (a 4xx SMTP reply is, a 5xx is not). */
  retryable?: (error: unknown) => boolean;
  signal?: AbortSignal;
  onRetry?: (message: string) => void;
}

/** Retries transient failures with exponential backoff and jitter; gives up at once on the rest. */
export async function retry<T>(action: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts = 4, minDelayMs = 500, maxDelayMs = 10_000, retryable = () => true } = options;
  return pRetry(
    async (attempt) => {
      try {
        return await action(attempt);
      } catch (error) {
        if (!retryable(error)) throw new AbortError(error instanceof Error ? error : String(error));
        throw error;
      }
    },
    {
      retries: attempts - 1,
      minTimeout: minDelayMs,
      maxTimeout: maxDelayMs,
      factor: 2,
      randomize: true,
      ...(options.signal ? { signal: options.signal } : {}),
      // Called only when another attempt follows (p-retry never retries a non-network TypeError).
      shouldRetry: ({ error, attemptNumber, retryDelay }) => {
        options.onRetry?.(
          `${options.what} failed (attempt ${attemptNumber} of ${attempts}): ${error.message}; retrying in ${formatDuration(Math.round(retryDelay))}`,
        );
        return true;
      },
    },
  );
}

export interface PollOptions {
  /** What is awaited, for the timeout message: `the service to answer 200`. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Grow the interval up to this, for waits that may be long. */
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

export class TimeoutError extends HangarError {
  /** The last state the wait saw (`{ pending: "…" }`), for a caller that words its own error. */
  readonly last: string | undefined;

  constructor(what: string, timeoutMs: number, last?: string) {
    super(
      "E_TIMEOUT",
      `timed out after ${formatDuration(timeoutMs)} waiting for ${what}${last ? ` (last: ${last})` : ""}`,
      {
        hint: "Raise the timeout if the target is just slow; otherwise the last state above says what is wrong.",
      },
    );
    this.name = "TimeoutError";
    this.last = last;
  }
}

/**
 * Calls `check` until it returns a value other than undefined, or the deadline passes. `check`
 * may throw to fail at once; it may return `{ pending: "why" }` to describe the state it saw.
 */
export async function pollUntil<T>(
  check: (signal: AbortSignal) => Promise<T | undefined | { pending: string }>,
  options: PollOptions,
): Promise<T> {
  const { timeoutMs, intervalMs = 500, maxIntervalMs = intervalMs } = options;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let interval = intervalMs;
  let last: string | undefined;
  while (true) {
    if (signal.aborted) break;
    const result = await check(signal).catch((error: unknown) => {
      if (signal.aborted) return undefined;
      throw error;
    });
    if (isPending(result)) last = result.pending;
    else if (result !== undefined) return result;
    try {
      await sleep(interval, undefined, { signal });
    } catch {
      break;
    }
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  throw new TimeoutError(options.what, timeoutMs, last);
}

function isPending(value: unknown): value is { pending: string } {
  return typeof value === "object" && value !== null && "pending" in value;
}

/** Runs `action` with a signal that aborts after `timeoutMs`, and names what timed out. */
export async function withTimeout<T>(
  what: string,
  timeoutMs: number,
  action: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = parent ? AbortSignal.any([parent, deadline]) : deadline;
  // Raced as well as passed on, so an action that ignores the signal still cannot outlive it.
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([action(signal), aborted]);
  } catch (error) {
    if (deadline.aborted && !parent?.aborted) throw new TimeoutError(what, timeoutMs);
    throw error;
  }
}
