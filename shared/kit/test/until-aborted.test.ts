import { describe, expect, it } from "vitest";
import { untilAborted } from "../src/until-aborted.ts";

describe("untilAborted", () => {
  it("settles as the promise does while the signal is quiet", async () => {
    const signal = new AbortController().signal;
    await expect(untilAborted(Promise.resolve(7), signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error("no")), signal)).rejects.toThrow("no");
    await expect(untilAborted(Promise.resolve(8), undefined)).resolves.toBe(8);
  });

  it("rejects with the signal's reason when it aborts first, or was aborted already", async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const waiting = untilAborted(never, controller.signal);
    controller.abort(new Error("the step was cancelled"));
    await expect(waiting).rejects.toThrow("the step was cancelled");
    await expect(untilAborted(never, AbortSignal.abort(new Error("already")))).rejects.toThrow("already");
  });
});
