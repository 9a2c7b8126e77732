import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createAndroidSdk } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv, externalAppium, fakeDriverSettings, runStep, SESSION, workspace } from "./helpers.ts";

const AVD = "hangar-34-google_apis-x86_64";

describe("with an Appium the step did not start", { timeout: 180_000 }, () => {
  const appium = externalAppium();
  afterAll(() => appium.close());

  it("a cancel while a test runs ends the run's WebDriver session on that server", async () => {
    const url = await appium.listen();
    const sdk = await createAndroidSdk({ avds: [AVD], bootPolls: 0, offlinePolls: 0 });
    const ws = await workspace([]);
    try {
      await writeFile(
        path.join(ws.dir, "e2e", "slow.spec.mjs"),
        'describe("a slow screen", () => {\n  it("waits", async () => {\n    await browser.pause(50_000);\n  });\n});\n',
      );
      const env = baseEnv(sdk.root, {
        ...fakeDriverSettings(ws.dir),
        specs: "e2e/slow.spec.mjs",
        appium_url: url,
      });
      const cancel = new AbortController();
      let cancelledAt = 0;
      const recorded = path.join(ws.dir, ".hangar", "e2e", "wdio", "sessions.txt");
      const watch = setInterval(() => {
        if (appium.requests.includes("POST /session") && existsSync(recorded)) {
          clearInterval(watch);
          cancelledAt = Date.now();
          cancel.abort(new Error("the step was cancelled"));
        }
      }, 100);
      const run = await runStep(env, ws.dir, { signal: cancel.signal, cancelGraceMs: 10_000 });
      clearInterval(watch);
      expect(cancelledAt, run.output).toBeGreaterThan(0);
      expect(run.code).toBe(1);
      expect(Date.now() - cancelledAt).toBeLessThan(10_000);
      expect(appium.requests).toContain(`DELETE /session/${SESSION}`);
      expect(run.output).toContain(`ended WebDriver session ${SESSION} on ${url}`);
      expect(sdk.running()).toEqual([]);
    } finally {
      await sdk.remove();
      await ws.remove();
    }
  });
});
