import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type AndroidScenario,
  type AndroidSdk,
  type Sshd,
  testbed,
  writeStandinApk,
  zipBytes,
} from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { compareVersions } from "../src/tools/apk-package.ts";
import {
  APP_PACKAGE,
  baseEnv,
  expectEmulatorStopped,
  hostSettings,
  perTestRun,
  QUICK,
  runStep,
  runWith,
} from "./helpers.ts";

/** Ends the run at the install, when the test is about what came before. */
const STOP_AT_INSTALL: AndroidScenario = { ...QUICK, installFailure: "INSTALL_FAILED_OLDER_SDK" };
/**
 * Appium comes up while the device is prepared; in the runs that end there it is a server that
 * never answers (a closed port), so the preparation's failure is the one reported.
 */
const SILENT_APPIUM = "http://127.0.0.1:9";

const sshd = await testbed.sshd();

/**
 * `app_package` read from the APK, as appium-adb does it: `aapt2 dump badging` from the newest
 * build-tools, else `apkanalyzer`, on the machine that runs the emulator, after the APK is there
 * and before the install. The SDK is the test bed's stand-in, whose aapt2 and apkanalyzer read the
 * stand-in APKs (zips with a text manifest).
 */
describe("the app's package", { timeout: 300_000 }, () => {
  const bed = perTestRun();
  afterAll(async () => {
    await sshd?.stop();
  });

  async function setUp(scenario: AndroidScenario, settings: Record<string, string> = {}) {
    const run = await bed.setUp(scenario, { appium_url: SILENT_APPIUM, ...settings });
    return { ...run, apk: path.join(run.ws.dir, "build", "app-release.apk") };
  }
  /** The default capabilities: UiAutomator2, which reads the package with the same tools. */
  const uiAutomator2 = (sdk: AndroidSdk) =>
    baseEnv(sdk.root, {
      app: "build/app-release.apk",
      specs: "e2e/login.spec.mjs",
      appium_url: SILENT_APPIUM,
    });

  const installIndex = (calls: string[]) => calls.findIndex((call) => call.includes(" install -r -t "));

  it("is read with the newest build-tools' aapt2 before the install, and reaches Appium and the outputs", async () => {
    const set = await setUp({ ...QUICK, buildTools: ["34.0.0", "35.0.0-rc1", "35.0.0"] });
    const { sdk, ws } = set;
    // This run goes to the end, with the Appium the plugin starts.
    const { PLUGIN_APPIUM_URL: _, ...env } = set.env;
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("2 passed, 0 failed, 0 skipped");
    expect(run.output).toContain(
      `app package ${APP_PACKAGE} (read from app.apk with ${sdk.root}/build-tools/35.0.0/aapt2)`,
    );
    expect(run.outputs.EMULATOR_E2E_APP_PACKAGE).toBe(APP_PACKAGE);
    const calls = sdk.transcript();
    const read = calls.findIndex((call) => /^aapt2 dump badging .*app\.apk$/.test(call));
    expect(read).toBeGreaterThan(-1);
    expect(read).toBeLessThan(installIndex(calls));
    // The session Appium created carried it.
    const config = await readFile(path.join(ws.dir, ".hangar/e2e/wdio.conf.generated.mjs"), "utf8");
    expect(config).toContain(`"appium:appPackage": "${APP_PACKAGE}"`);
    expect(await readFile(path.join(ws.dir, ".hangar/e2e/appium.log"), "utf8")).toContain(APP_PACKAGE);
    expect(sdk.running()).toEqual([]);
  });

  it("`app_package` wins over the APK, which is then not read", async () => {
    const { sdk, ws, env } = await setUp(STOP_AT_INSTALL, { app_package: "org.example.given" });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("app package org.example.given (app_package; the APK is not read)");
    expect(sdk.transcript().some((call) => call.startsWith("aapt2") || call.startsWith("apkanalyzer"))).toBe(
      false,
    );
    expect(installIndex(sdk.transcript())).toBeGreaterThan(-1);
  });

  it("falls back to apkanalyzer when no build-tools are installed", async () => {
    const { sdk, ws, env } = await setUp({ ...STOP_AT_INSTALL, buildTools: [] });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      `app package ${APP_PACKAGE} (read from app.apk with ${sdk.root}/cmdline-tools/latest/bin/apkanalyzer)`,
    );
    const calls = sdk.transcript();
    const read = calls.findIndex((call) => /^apkanalyzer manifest application-id .*app\.apk$/.test(call));
    expect(read).toBeGreaterThan(-1);
    expect(read).toBeLessThan(installIndex(calls));
    // The fake driver reads nothing itself: no word about aapt2 for Appium.
    expect(run.output).not.toContain("launch activity");
  });

  it("read with apkanalyzer for UiAutomator2, a warning says the driver still needs aapt2 for the activity", async () => {
    const { sdk, ws } = await setUp({ ...STOP_AT_INSTALL, buildTools: [] });
    const env = uiAutomator2(sdk);
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`app package ${APP_PACKAGE} (read from app.apk with`);
    expect(run.output).toContain("needs it to find the app's launch activity");
    const withActivity = await runStep(
      { ...env, PLUGIN_CAPABILITIES: JSON.stringify({ "appium:appActivity": ".MainActivity" }) },
      ws.dir,
    );
    expect(withActivity.output).toContain(`app package ${APP_PACKAGE} (read from app.apk with`);
    expect(withActivity.output).not.toContain("launch activity");
  });

  it("an APK that is not one fails with aapt2's words, before the install, and everything is stopped", async () => {
    const { sdk, ws, env, apk } = await setUp(QUICK);
    await writeFile(apk, "<html>404 Not Found</html>\n");
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      "cannot read the app's package from app.apk: aapt2 dump badging failed (exit 1):",
    );
    expect(run.output).toMatch(/W\/ziparchive\(\s*\d+\): Unable to open '.*app\.apk': Invalid file/);
    expect(run.output).toContain("[E_APK_PACKAGE]");
    expect(run.output).toContain("`app` must be an APK");
    expect(installIndex(sdk.transcript())).toBe(-1);
    expectEmulatorStopped(sdk);
  });

  it("a package name that breaks Android's rule is refused, from aapt2 and from apkanalyzer alike", async () => {
    const cases: [AndroidScenario, string][] = [
      [QUICK, "calchat"],
      [{ ...QUICK, buildTools: [] }, "com.example.app' --user 0 'x"],
    ];
    for (const [scenario, hostile] of cases) {
      const { sdk, ws, env, apk } = await setUp(scenario);
      await writeStandinApk(apk, { package: hostile });
      const run = await runStep(env, ws.dir);
      expect(run.code).toBe(1);
      expect(run.output).toContain(
        `app.apk names the package ${JSON.stringify(hostile)}, which is not a package name`,
      );
      expect(run.output).toContain("[E_APK_PACKAGE]");
      expect(installIndex(sdk.transcript())).toBe(-1);
      expect(run.outputs.EMULATOR_E2E_APP_PACKAGE).toBeUndefined();
    }
  });

  it("an aapt2 too old for `dump badging` is named as such", async () => {
    const { sdk, ws, env } = await setUp({ ...QUICK, buildTools: [] });
    // Before `dump badging` existed, aapt2 took "badging" for the file to open (appium-adb's note).
    const old = path.join(sdk.root, "build-tools", "27.0.3", "aapt2");
    await mkdir(path.dirname(old), { recursive: true });
    await writeFile(old, "#!/bin/sh\necho \"badging: error: Unable to open 'badging'\" >&2\nexit 1\n", {
      mode: 0o755,
    });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      `aapt2 dump badging failed (exit 1):\nbadging: error: Unable to open 'badging'`,
    );
    expect(run.output).toContain("This aapt2 is too old for `dump badging`");
    // apkanalyzer is there too, but only stands in for a missing aapt2, as in appium-adb.
    expect(sdk.transcript().some((call) => call.startsWith("apkanalyzer"))).toBe(false);
  });

  it("build-tools versions sort newest first, a release above its candidates", () => {
    const versions = ["30.0.3", "35.0.0-rc1", "35.0.0", "9.0.0", "35.0.0-rc2", "34.0.0"];
    expect(versions.sort((a, b) => compareVersions(b, a))).toEqual([
      "35.0.0",
      "35.0.0-rc2",
      "35.0.0-rc1",
      "34.0.0",
      "30.0.3",
      "9.0.0",
    ]);
  });

  it("a zip without a manifest is no APK either", async () => {
    const { sdk, ws, env, apk } = await setUp(QUICK);
    await writeFile(apk, zipBytes([["classes.dex", Buffer.from("dex\n035\0")]]));
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("AndroidManifest.xml not found");
    expect(run.output).toContain("[E_APK_PACKAGE]");
    expect(installIndex(sdk.transcript())).toBe(-1);
  });

  it("without aapt2 and apkanalyzer, UiAutomator2 runs stop with what to install or set, before the install", async () => {
    const { sdk, ws } = await setUp({ ...QUICK, buildTools: [], apkanalyzer: false });
    const run = await runStep(uiAutomator2(sdk), ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      `cannot read the app's package: neither ${sdk.root}/build-tools/<version>/aapt2 nor ${sdk.root}/cmdline-tools/latest/bin/apkanalyzer is there in the step's container`,
    );
    expect(run.output).toContain('sdkmanager "build-tools;35.0.0"');
    expect(run.output).toContain("or set `app_package`");
    expect(run.output).toContain("[E_APK_TOOLS]");
    expect(run.output).toContain("emulator-e2e.md#setting-app_package");
    expect(installIndex(sdk.transcript())).toBe(-1);
    expect(sdk.running()).toEqual([]);
  });

  it("without aapt2 and apkanalyzer, a driver that takes the app as it is gets no package, with a warning", async () => {
    const { sdk, ws, env } = await setUp({ ...STOP_AT_INSTALL, buildTools: [], apkanalyzer: false });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("the app's package is left to Appium: neither");
    expect(run.output).toContain("(set `app_package` to pass it)");
    expect(installIndex(sdk.transcript())).toBeGreaterThan(-1);
  });

  it.skipIf(!sshd)("in host mode is read on the host, from the APK uploaded there", async () => {
    const host = sshd as Sshd;
    const { sdk, ws, env } = await setUp(STOP_AT_INSTALL, hostSettings(host));
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    const uploaded =
      /uploaded app-release\.apk to 127\.0\.0\.1:\d+:(\/\S+\/hangar-e2e\.\w+\/app\.apk) over SFTP/.exec(
        run.output,
      )?.[1];
    expect(uploaded, run.output).toBeDefined();
    expect(run.output).toContain(
      `app package ${APP_PACKAGE} (read from app.apk with ${sdk.root}/build-tools/35.0.0/aapt2)`,
    );
    const calls = sdk.transcript();
    const read = calls.indexOf(`aapt2 dump badging ${uploaded}`);
    expect(read).toBeGreaterThan(-1);
    expect(read).toBeLessThan(installIndex(calls));
  });

  it("check says whether the APK can be read, and that it must be for UiAutomator2", async () => {
    const ready = await setUp(QUICK);
    const found = await runWith(ready, { action: "check", appium_url: "http://127.0.0.1:4723" });
    expect(found.output).toContain(
      `APK reader: ${ready.sdk.root}/build-tools/35.0.0/aapt2 reads the app's package`,
    );
    expect(found.code, found.output).toBe(0);

    const bare = await setUp({ ...QUICK, buildTools: [], apkanalyzer: false });
    const missing = await runWith(bare, { action: "check", appium_url: "http://127.0.0.1:4723" });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain(`APK reader: neither ${bare.sdk.root}/build-tools/<version>/aapt2 nor`);
    expect(missing.output).toContain("check: APK reader not ready");

    const given = await runWith(bare, {
      action: "check",
      appium_url: "http://127.0.0.1:4723",
      app_package: APP_PACKAGE,
    });
    expect(given.code, given.output).toBe(0);
    expect(given.output).toContain("not needed, app_package names the package");
    expect(bare.sdk.transcript().some((call) => call.startsWith("aapt2"))).toBe(false);
  });

  it("dry run says where the package comes from; a bad `app_package` is a settings error", async () => {
    const { sdk, ws } = await setUp(QUICK);
    const read = await runWith(
      { sdk, ws },
      { dry_run: "true", app: "build/app-release.apk", specs: "e2e/*.mjs" },
    );
    expect(read.code, read.output).toBe(0);
    expect(read.output).toContain(
      "install build/app-release.apk; its package read from the APK (aapt2 dump badging, else apkanalyzer)",
    );
    const given = await runWith(
      { sdk, ws },
      {
        dry_run: "true",
        app: "build/app-release.apk",
        specs: "e2e/*.mjs",
        capabilities: JSON.stringify({ "appium:appPackage": "org.example.caps" }),
      },
    );
    expect(given.output).toContain("its package org.example.caps (from capabilities)");
    const bad = await runWith(
      { sdk, ws },
      { app: "build/app-release.apk", specs: "e2e/*.mjs", app_package: "com.example/app" },
    );
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("app_package: must be a package name");
    expect(bad.output).toContain("com.example/app");
    expect(sdk.transcript()).toEqual([]);
  });
});
