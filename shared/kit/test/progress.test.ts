import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatRate, transferProgress } from "../src/progress.ts";

describe("transfer progress", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("says nothing about a transfer that is over within the interval", () => {
    const lines: string[] = [];
    const progress = transferProgress({
      name: "app.apk",
      total: 1024,
      report: (line) => lines.push(line),
      now: Date.now,
    });
    progress.add(1024);
    vi.advanceTimersByTime(4_900);
    const totals = progress.done();
    vi.advanceTimersByTime(20_000);
    expect(lines).toEqual([]);
    expect(totals).toEqual({ bytes: 1024, ms: 4_900, rate: (1024 * 1000) / 4_900 });
  });

  it("prints a line every interval with bytes done of the total, percent and rate, stalls included", () => {
    const lines: string[] = [];
    const progress = transferProgress({
      name: "calchat-1.4.0.apk",
      total: 100 * 1024 * 1024,
      report: (line) => lines.push(line),
      now: Date.now,
    });
    progress.add(25 * 1024 * 1024);
    vi.advanceTimersByTime(5_000);
    progress.add(25 * 1024 * 1024);
    vi.advanceTimersByTime(5_000);
    // Nothing moves for the next interval: the line still comes, with the rate falling.
    vi.advanceTimersByTime(5_000);
    const totals = progress.done();
    vi.advanceTimersByTime(15_000);
    expect(lines).toEqual([
      "calchat-1.4.0.apk: 25.0 MiB of 100.0 MiB (25%), 5.0 MiB/s",
      "calchat-1.4.0.apk: 50.0 MiB of 100.0 MiB (50%), 5.0 MiB/s",
      "calchat-1.4.0.apk: 50.0 MiB of 100.0 MiB (50%), 3.3 MiB/s",
    ]);
    expect(totals.bytes).toBe(50 * 1024 * 1024);
    expect(formatRate(totals.rate)).toBe("3.3 MiB/s");
  });

  it("counts without a known total", () => {
    const lines: string[] = [];
    const progress = transferProgress({
      name: "logcat.txt",
      report: (line) => lines.push(line),
      now: Date.now,
    });
    progress.add(3 * 1024);
    vi.advanceTimersByTime(5_000);
    progress.done();
    expect(lines).toEqual(["logcat.txt: 3.0 KiB, 614 B/s"]);
  });
});
