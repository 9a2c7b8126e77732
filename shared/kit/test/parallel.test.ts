import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { mapWithLimit } from "../src/parallel.ts";

describe("mapWithLimit", () => {
  it("never runs more than the limit at once and keeps the order of results", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithLimit([30, 10, 20, 5, 15], 2, async (delay, index) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(delay);
      running--;
      return index * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(peak).toBe(2);
  });

  it("starts nothing new after a failure and waits for the running ones before throwing", async () => {
    const started: number[] = [];
    let finished = 0;
    const run = mapWithLimit([0, 1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      await sleep(item === 0 ? 5 : 20);
      if (item === 0) throw new Error("first failed");
      finished++;
      return item;
    });
    await expect(run).rejects.toThrow("first failed");
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });
});
