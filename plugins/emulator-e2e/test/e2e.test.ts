import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AVD, listDir, perTestRun, runStep } from "./helpers.ts";

/** Real Appium 3 and WebdriverIO against Appium's fake driver; the SDK is the test bed's stand-in. */
describe("a test run with Appium and WebdriverIO", { timeout: 300_000 }, () => {
  const bed = perTestRun();

  it("passes when every test passes, with JUnit and the evidence in the artifacts", async () => {
    const { sdk, ws, env } = await bed.setUp({ avds: [AVD] });
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("2 passed, 0 failed, 0 skipped");
    expect(run.outputs).toMatchObject({
      EMULATOR_E2E_PASSED: "2",
      EMULATOR_E2E_FAILED: "0",
      EMULATOR_E2E_JUNIT: ".hangar/e2e/junit.xml",
    });
    const junit = await readFile(path.join(ws.dir, ".hangar/e2e/junit.xml"), "utf8");
    expect(junit).toContain('name="shows the login button"');
    expect(await listDir(path.join(ws.dir, ".hangar/e2e"))).toEqual(
      expect.arrayContaining(["appium.log", "emulator.log", "logcat.txt", "junit", "junit.xml", "wdio.log"]),
    );
    expect(await listDir(path.join(ws.dir, ".hangar/e2e/screenshots"))).toEqual([]);
    const transcript = sdk.transcript();
    expect(transcript.at(-2)).toBe("adb -s emulator-5554 emu kill");
    expect(transcript.at(-1)).toBe("adb kill-server");
    expect(sdk.running()).toEqual([]);
  });

  it("fails when a test fails, names it, and keeps a screenshot of it", async () => {
    const { sdk, ws, env } = await bed.setUp({ avds: [AVD] }, { specs: "e2e/*.spec.mjs" }, [
      "login.spec.mjs",
      "chat.spec.mjs",
    ]);
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/2 passed, 1 failed, 1 skipped; failed: .*shows the send button/);
    expect(run.outputs).toMatchObject({
      EMULATOR_E2E_PASSED: "2",
      EMULATOR_E2E_FAILED: "1",
      EMULATOR_E2E_SKIPPED: "1",
    });
    const shots = await listDir(path.join(ws.dir, ".hangar/e2e/screenshots"));
    expect(shots).toHaveLength(1);
    expect(shots[0]).toMatch(/^chat_shows_the_send_button-\d+\.png$/);
    const png = await readFile(path.join(ws.dir, ".hangar/e2e/screenshots", shots[0] as string));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(sdk.running()).toEqual([]);
  });
});
