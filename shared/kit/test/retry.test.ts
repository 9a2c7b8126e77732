import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { HangarError } from "../src/errors.ts";
import { pollUntil, type RetryOptions, retry, TimeoutError, withTimeout } from "../src/retry.ts";

class Transient extends Error {}
class Permanent extends Error {}

const fast = { minDelayMs: 1, maxDelayMs: 5 };

/** retry() of an action that throws on every call, with how often it was called and what retry announced. */
function alwaysFailing(thrown: (call: number) => unknown, options: Omit<RetryOptions, "onRetry">) {
  let calls = 0;
  const messages: string[] = [];
  const attempt = retry(
    async () => {
      calls++;
      throw thrown(calls);
    },
    { ...options, onRetry: (message) => messages.push(message) },
  );
  return { attempt, calls: () => calls, messages };
}

describe("retry", () => {
  it("retries a transient failure, then returns the result", async () => {
    const attempts: number[] = [];
    const messages: string[] = [];
    const result = await retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Transient(`421 try later (${attempt})`);
        return "sent";
      },
      { what: "sending the mail", ...fast, onRetry: (message) => messages.push(message) },
    );
    expect(result).toBe("sent");
    expect(attempts).toEqual([1, 2, 3]);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(
      /^sending the mail failed \(attempt 1 of 4\): 421 try later \(1\); retrying in \d+ms$/,
    );
    expect(messages[1]).toMatch(
      /^sending the mail failed \(attempt 2 of 4\): 421 try later \(2\); retrying in/,
    );
  });

  it("gives up at once on an error that is not retryable, and throws it as it was", async () => {
    const permanent = new Permanent("550 mailbox unavailable");
    const { attempt, calls, messages } = alwaysFailing(() => permanent, {
      what: "sending the mail",
      ...fast,
      retryable: (error) => !(error instanceof Permanent),
    });
    await expect(attempt).rejects.toBe(permanent);
    expect(calls()).toBe(1);
    expect(messages).toEqual([]);
  });

  it("throws the last error when every attempt failed, without announcing a retry that does not come", async () => {
    const { attempt, calls, messages } = alwaysFailing((call) => new Transient(`failure ${call}`), {
      what: "uploading",
      attempts: 3,
      ...fast,
    });
    await expect(attempt).rejects.toThrow("failure 3");
    expect(calls()).toBe(3);
    expect(messages).toHaveLength(2);
  });

  it("doubles the delay between attempts, up to the maximum", async () => {
    const delays: number[] = [];
    await retry(
      async (attempt) => {
        if (attempt < 4) throw new Transient("again");
      },
      {
        what: "x",
        attempts: 4,
        minDelayMs: 10,
        maxDelayMs: 30,
        onRetry: (message) => delays.push(Number(/retrying in (\d+)ms/.exec(message)?.[1])),
      },
    );
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(10);
    expect(delays[0]).toBeLessThanOrEqual(20);
    expect(delays[1]).toBeGreaterThanOrEqual(20);
    expect(delays[2]).toBeLessThanOrEqual(30);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const reason = new HangarError("E_CANCELLED", "the step was cancelled");
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    const { attempt, calls } = alwaysFailing(() => new Transient("down"), {
      what: "x",
      attempts: 10,
      minDelayMs: 1000,
      signal: controller.signal,
    });
    await expect(attempt).rejects.toBe(reason);
    expect(calls()).toBe(1);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("does not announce a retry for a programming error, which is never retried", async () => {
    const { attempt, calls, messages } = alwaysFailing(
      () => new TypeError("Cannot read properties of undefined (reading 'id')"),
      { what: "x", minDelayMs: 0 },
    );
    await expect(attempt).rejects.toThrow(TypeError);
    expect(calls()).toBe(1);
    expect(messages).toEqual([]);
  });

  it("accepts thrown values that are not errors", async () => {
    const { attempt, calls } = alwaysFailing(() => "plain text", {
      what: "x",
      ...fast,
      retryable: () => false,
    });
    await expect(attempt).rejects.toThrow("plain text");
    expect(calls()).toBe(1);
  });
});

describe("pollUntil", () => {
  it("returns the first value that is not undefined or pending", async () => {
    let checks = 0;
    const value = await pollUntil(
      async () => {
        checks++;
        if (checks === 1) return undefined;
        if (checks < 4) return { pending: `status ${checks}` };
        return { ip: "10.0.0.7" };
      },
      { what: "the VM's IP address", timeoutMs: 5000, intervalMs: 5 },
    );
    expect(value).toEqual({ ip: "10.0.0.7" });
    expect(checks).toBe(4);
  });

  it("times out with a TimeoutError naming what it waited for and the last state seen", async () => {
    let checks = 0;
    const started = Date.now();
    const wait = pollUntil(
      async () => {
        checks++;
        return { pending: `guest agent not running (check ${checks})` };
      },
      { what: "the VM's IP address", timeoutMs: 150, intervalMs: 10, maxIntervalMs: 40 },
    );
    const error = await wait.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "E_TIMEOUT", hint: expect.stringContaining("Raise the timeout") });
    expect((error as Error).message).toBe(
      `timed out after 150ms waiting for the VM's IP address (last: guest agent not running (check ${checks}))`,
    );
    // For a caller that words its own error from the last state.
    expect((error as TimeoutError).last).toBe(`guest agent not running (check ${checks})`);
    expect(checks).toBeGreaterThan(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("does not wait for a slow check past the deadline: the check gets the signal", async () => {
    const started = Date.now();
    const wait = pollUntil((signal) => sleep(10_000, undefined, { signal }), {
      what: "a slow answer",
      timeoutMs: 100,
    });
    await expect(wait).rejects.toThrow("timed out after 100ms waiting for a slow answer");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("fails at once when the check throws", async () => {
    let checks = 0;
    const broken = new HangarError("E_VM_GONE", "the VM was deleted");
    const wait = pollUntil(
      async () => {
        checks++;
        throw broken;
      },
      { what: "x", timeoutMs: 5000, intervalMs: 5 },
    );
    await expect(wait).rejects.toBe(broken);
    expect(checks).toBe(1);
  });

  it("stops with the parent signal's reason, not a timeout", async () => {
    const controller = new AbortController();
    const reason = new HangarError("E_CANCELLED", "the step was cancelled");
    setTimeout(() => controller.abort(reason), 50);
    const wait = pollUntil(async () => ({ pending: "starting" }), {
      what: "x",
      timeoutMs: 5000,
      intervalMs: 10,
      signal: controller.signal,
    });
    await expect(wait).rejects.toBe(reason);
  });
});

describe("withTimeout", () => {
  it("returns the action's result in time", async () => {
    expect(await withTimeout("the answer", 1000, async () => 42)).toBe(42);
  });

  it("turns the deadline into a TimeoutError naming what timed out", async () => {
    const wait = withTimeout("the SMTP greeting", 50, (signal) => sleep(10_000, undefined, { signal }));
    await expect(wait).rejects.toThrow(TimeoutError);
    await expect(
      withTimeout("the SMTP greeting", 50, (signal) => sleep(10_000, undefined, { signal })),
    ).rejects.toThrow("timed out after 50ms waiting for the SMTP greeting");
  });

  it("passes the action's own errors through", async () => {
    const own = new Error("connection refused");
    await expect(
      withTimeout("x", 1000, async () => {
        throw own;
      }),
    ).rejects.toBe(own);
  });

  it("does not call a parent's cancellation a timeout", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 20);
    const wait = withTimeout("x", 5000, (signal) => sleep(10_000, undefined, { signal }), controller.signal);
    const error = await wait.catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("cancelled");
  });

  it("ends at the deadline even when the action ignores its signal", async () => {
    const never = () => new Promise<never>(() => {});
    await expect(withTimeout("a stuck call", 50, never)).rejects.toThrow(
      "timed out after 50ms waiting for a stuck call",
    );
  });
});
