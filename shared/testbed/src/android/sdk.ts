import { chmod, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeTempDir } from "../temp-dir.ts";
import { type AndroidScenario, alive, type Call, SdkState } from "./state.ts";

export { type StandinApk, standinApkBytes, writeStandinApk, zipBytes } from "./apk.ts";
export type { AndroidScenario, Call } from "./state.ts";

/** A stand-in Android SDK in the standard layout, each tool a script on the shared state. */
export interface AndroidSdk {
  /** For `sdk_root`. */
  root: string;
  /** The calls made to the tools, in order. */
  calls(): Call[];
  /** `adb shell getprop …` → "adb shell getprop …"; the order of what was done. */
  transcript(): string[];
  /** The long-lived stand-in processes (emulator, logcat, adb server) still running. */
  running(): { name: string; pid: number }[];
  /** Kills whatever is still running and removes the SDK. */
  remove(): Promise<void>;
}

const here = import.meta.dirname;

export async function createAndroidSdk(scenario: AndroidScenario = {}): Promise<AndroidSdk> {
  const temp = await makeTempDir("android-sdk");
  const root = temp.path;
  const state = new SdkState(path.join(root, ".standin"));
  state.init(scenario);
  // [path in the SDK, stand-in script, its first arguments]
  const tools: [string, string, string[]][] = [
    ["platform-tools/adb", "adb.ts", []],
    ["emulator/emulator", "emulator.ts", []],
    ["cmdline-tools/latest/bin/sdkmanager", "sdk-tools.ts", ["sdkmanager"]],
    ["cmdline-tools/latest/bin/avdmanager", "sdk-tools.ts", ["avdmanager"]],
  ];
  if (scenario.apkanalyzer !== false) {
    tools.push(["cmdline-tools/latest/bin/apkanalyzer", "apk-tools.ts", ["apkanalyzer"]]);
  }
  for (const version of scenario.buildTools ?? ["35.0.0"]) {
    tools.push([`build-tools/${version}/aapt2`, "apk-tools.ts", ["aapt2"]]);
  }
  for (const [relative, script, prefix] of tools) {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    const words = [process.execPath, path.join(here, script), ...prefix].map((word) => `'${word}'`).join(" ");
    // Node's compile cache keeps each call near a bare `node` start, as a real adb call is quick.
    const cache = path.join(tmpdir(), "hangar-android-standin-cache");
    await writeFile(
      file,
      `#!/bin/sh\nHANGAR_ANDROID_STANDIN='${state.dir}' NODE_COMPILE_CACHE='${cache}' exec ${words} "$@"\n`,
    );
    await chmod(file, 0o755);
  }
  const running = () => state.processes().filter((entry) => alive(entry.pid));
  return {
    root,
    calls: () => state.calls(),
    transcript: () => state.calls().map((call) => [call.tool, ...call.args].join(" ")),
    running,
    async remove() {
      for (const entry of running()) {
        try {
          process.kill(entry.pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await temp.remove();
    },
  };
}
