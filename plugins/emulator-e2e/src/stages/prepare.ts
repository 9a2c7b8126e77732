import path from "node:path";
import { HangarError } from "@hangar/kit";
import { appPackageOf } from "../tools/apk-package.ts";
import type { Step } from "./processes.ts";

const ANIMATION_SCALES = ["window_animation_scale", "transition_animation_scale", "animator_duration_scale"];

/**
 * Unlock, animations off, logcat into the artifacts, the APK's package read (an APK that is not
 * one fails here, with the reader's words, before the install), the APK installed. Returns the
 * package for `appium:appPackage`: given, read, or undefined when left to Appium.
 */
export async function prepareDevice(
  step: Step,
  apkOnRunner: string,
  signal: AbortSignal,
  /** Called as the install begins (Appium starts then, alongside it). */
  installing: () => void = () => {},
): Promise<string | undefined> {
  const { runner, plan, processes, log } = step;
  const adb = async (args: string[], what: string, timeoutMs = 60_000) => {
    const result = await runner.run(plan.sdk.adb, ["-s", plan.emulator.serial, ...args], {
      signal,
      timeoutMs,
    });
    // `adb install` says Failure [INSTALL_FAILED_…] and may still exit 0 on old platform-tools.
    const failure = /^(Failure|Error)\b.*$|^adb: failed.*$/m.exec(`${result.stdout}\n${result.stderr}`);
    if (result.exitCode !== 0 || failure) {
      const detail =
        failure?.[0] ??
        (`${result.stderr}\n${result.stdout}`.trim().split("\n").pop() ||
          `exit ${result.exitCode ?? "killed"}`);
      throw new HangarError("E_ADB", `${what} failed: ${detail}`);
    }
    return result;
  };
  log.section("preparing the device");
  processes.logcat = await runner.start(
    "logcat",
    plan.sdk.adb,
    ["-s", plan.emulator.serial, "logcat", "-v", "threadtime"],
    {
      logFile: path.join(plan.artifacts.absolute, "logcat.txt"),
    },
  );
  await adb(["shell", "input", "keyevent", "82"], "unlocking the screen");
  if (plan.disableAnimations) {
    for (const scale of ANIMATION_SCALES) {
      await adb(["shell", "settings", "put", "global", scale, "0"], `setting ${scale}`);
    }
  }
  const appPackage = await appPackageOf(runner, plan, apkOnRunner, log, signal);
  installing();
  await adb(["install", "-r", "-t", apkOnRunner], "installing the app", 10 * 60_000);
  log.success(`installed ${path.basename(apkOnRunner)} on ${plan.emulator.serial}`);
  return appPackage;
}
