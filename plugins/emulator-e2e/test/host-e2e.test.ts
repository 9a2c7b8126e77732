import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Sshd, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import {
  AVD,
  appiumBin,
  expectEmulatorStopped,
  hostSettings,
  listDir,
  logins,
  perTestRun,
  runStep,
} from "./helpers.ts";

/**
 * A whole run in host mode: Appium 3 with the fake driver runs on the "host" (this machine over
 * the test bed's sshd, `appium` and `node` on the SSH user's PATH as on a prepared VM), WebdriverIO
 * in the step, through Appium's port forwarded over the same SSH connection.
 */
const bin = await appiumBin();
const sshd = await testbed.sshd({ extraConfig: [bin.sshdEnv] });

describe.skipIf(!sshd)("a test run on a host over SSH", { timeout: 300_000 }, () => {
  const host = sshd as Sshd;
  afterAll(async () => {
    await sshd?.stop();
    await bin.remove();
  });
  const bed = perTestRun();

  it("runs the specs against Appium on the host through the forwarded port, and brings its log back", async () => {
    const { sdk, ws, env } = await bed.setUp({ avds: [AVD] }, hostSettings(host));
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("2 passed, 0 failed, 0 skipped");
    expect(run.output).toMatch(/forwarding 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+'s 127\.0\.0\.1:\d+ over SSH/);
    expect(run.output).toMatch(/Appium answers at http:\/\/127\.0\.0\.1:\d+/);
    expect(logins(host)).toBe(1);
    const artifacts = path.join(ws.dir, ".hangar/e2e");
    expect(await listDir(artifacts)).toEqual(
      expect.arrayContaining(["appium.log", "emulator.log", "logcat.txt", "junit.xml", "wdio.log"]),
    );
    expect(await readFile(path.join(artifacts, "appium.log"), "utf8")).toContain(
      "Appium REST http interface listener started",
    );
    expectEmulatorStopped(sdk);
  });
});
