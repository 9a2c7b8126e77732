import { type Logger, retry } from "@hangar/kit";
import { explainFailure, type FailureContext, type GiteaCallFailed, isTransient } from "./failure.ts";

export interface CallLimits extends FailureContext {
  log: Logger;
  /** The step's signal (SIGTERM), or the clean-up signal for clean-up calls. */
  signal?: AbortSignal | undefined;
}

export interface CallOptions {
  /**
   * An upload: it may stream for longer than `timeout`, so it bounds itself (no progress for
   * `timeout`, or no answer within `timeout` once the file is sent: see upload.ts). Its retries
   * are still bounded: a timed-out attempt is not tried again.
   */
  streaming?: boolean;
}

const ATTEMPTS = 4;

/**
 * One Gitea call with its retries. `timeout` bounds the call as a whole, retries and the waits
 * between them included: a server that never answers costs `timeout` once, not once per
 * attempt. A cancelled step ends the call at once with the cancel as the reason.
 */
export async function boundedCall<T>(
  what: string,
  request: (signal: AbortSignal, attempt: number) => Promise<T>,
  limits: CallLimits,
  options: CallOptions = {},
): Promise<T> {
  const deadline = options.streaming ? undefined : AbortSignal.timeout(limits.timeoutMs);
  const parent = limits.signal;
  const whole = [deadline, parent].filter((each): each is AbortSignal => each !== undefined);
  const signal = whole.length > 0 ? AbortSignal.any(whole) : new AbortController().signal;
  const failures: GiteaCallFailed[] = [];
  try {
    return await retry(
      async (attempt) => {
        try {
          return await request(signal, attempt);
        } catch (error) {
          if (parent?.aborted) throw parent.reason;
          const failure = explainFailure(what, error, deadline?.aborted === true, limits);
          failures.push(failure);
          throw failure;
        }
      },
      {
        what,
        attempts: ATTEMPTS,
        minDelayMs: 500,
        retryable: (error) => isTransient(error) && !signal.aborted,
        onRetry: (message) => limits.log.warn(message),
        signal,
      },
    );
  } catch (error) {
    if (parent?.aborted) throw parent.reason;
    if (deadline?.aborted) throw ranOut(failures, limits.timeoutMs) ?? error;
    throw error;
  }
}

/**
 * The deadline passed during an attempt or while waiting to retry. The last answer Gitea gave
 * (a 503) says more than the timeout that cut the next attempt short, so it is the one reported.
 */
function ranOut(failures: readonly GiteaCallFailed[], timeoutMs: number): GiteaCallFailed | undefined {
  const last = failures.at(-1);
  if (!last || (failures.length === 1 && last.kind === "timeout")) return last;
  const answered = [...failures].reverse().find((failure) => failure.kind !== "timeout") ?? last;
  answered.message = `${answered.message}; gave up after ${failures.length} attempt${failures.length === 1 ? "" : "s"}: \`timeout\` (${timeoutMs / 1000}s) ran out`;
  return answered;
}
