import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { externalAppium, perTestRun, QUICK, runCancelledWhen, SESSION } from "./helpers.ts";

describe("with an Appium the step did not start", { timeout: 180_000 }, () => {
  const appium = externalAppium();
  afterAll(() => appium.close());
  const bed = perTestRun();

  it("a cancel while a test runs ends the run's WebDriver session on that server", async () => {
    const url = await appium.listen();
    const { sdk, ws, env } = await bed.setUp(QUICK, { specs: "e2e/slow.spec.mjs", appium_url: url }, []);
    await writeFile(
      path.join(ws.dir, "e2e", "slow.spec.mjs"),
      'describe("a slow screen", () => {\n  it("waits", async () => {\n    await browser.pause(50_000);\n  });\n});\n',
    );
    const recorded = path.join(ws.dir, ".hangar", "e2e", "wdio", "sessions.txt");
    const run = await runCancelledWhen(
      env,
      ws.dir,
      () => appium.requests.includes("POST /session") && existsSync(recorded),
    );
    expect(run.cancelledAt, run.output).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(Date.now() - run.cancelledAt).toBeLessThan(10_000);
    expect(appium.requests).toContain(`DELETE /session/${SESSION}`);
    expect(run.output).toContain(`ended WebDriver session ${SESSION} on ${url}`);
    expect(sdk.running()).toEqual([]);
  });
});
