import { formatBytes } from "./format-bytes.ts";

/**
 * How far a long upload or download is. A transfer that is over within the first interval
 * prints nothing; a longer one prints a line every interval (also while nothing moves, which is
 * when a reader most wants to know), with the name, the bytes done of the total, the percent and
 * the rate since the start. `done()` gives the totals for the summary and the card.
 */
export interface TransferProgress {
  /** Counts bytes that went through. */
  add(bytes: number): void;
  /** Stops the lines; the totals of the transfer. */
  done(): TransferTotals;
}

export interface TransferTotals {
  bytes: number;
  ms: number;
  /** Bytes a second over the whole transfer (0 when it took no measurable time). */
  rate: number;
}

export interface TransferProgressOptions {
  /** What moves, for the line: `calchat-1.4.0.apk → 127.0.0.1:22`. */
  name: string;
  /** The size when it is known beforehand. */
  total?: number | undefined;
  /** Where a line goes (the log's info). */
  report: (line: string) => void;
  /** Default 5 s. */
  intervalMs?: number;
  now?: () => number;
}

export const PROGRESS_INTERVAL_MS = 5_000;

export function transferProgress(options: TransferProgressOptions): TransferProgress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let bytes = 0;
  const line = (): string => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    const total = options.total;
    const done =
      total === undefined || total <= 0
        ? formatBytes(bytes)
        : `${formatBytes(bytes)} of ${formatBytes(total)} (${Math.min(100, Math.floor((bytes / total) * 100))}%)`;
    return `${options.name}: ${done}, ${formatRate(rate)}`;
  };
  const timer = setInterval(() => options.report(line()), options.intervalMs ?? PROGRESS_INTERVAL_MS);
  // A transfer's lines never keep the process alive on their own.
  timer.unref();
  let totals: TransferTotals | undefined;
  return {
    add: (count) => {
      bytes += count;
    },
    done: () => {
      if (totals) return totals;
      clearInterval(timer);
      const ms = now() - started;
      totals = { bytes, ms, rate: ms > 0 ? (bytes * 1000) / ms : 0 };
      return totals;
    },
  };
}

/** `2.4 MiB/s`, for progress lines, summaries and cards. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}
