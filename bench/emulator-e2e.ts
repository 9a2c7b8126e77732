/**
 * emulator-e2e's own overhead: everything but the emulator's boot and the tests themselves.
 * Both sides drive the test bed's stand-in SDK through the same scenario (a boot of a few polls
 * with `device offline`, unlock, animations off, the app's package read with aapt2, an install the
 * device refuses so no test runs, then the emulator killed): the plugin as a step runs it, against
 * the same adb/emulator/aapt2 calls written by hand in a shell script with `sleep 0.5` between
 * polls. Target ≤ 1.2×.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAndroidSdk, writeStandinApk } from "@hangar/testbed";
import { type Bench, bundlePath, median, type Row, run, tail, verdict } from "./lib.ts";

const bundle = (root: string) => bundlePath(root, "emulator-e2e");

const AVD = "hangar-34-google_apis-x86_64";
const APP_PACKAGE = "com.example.calchat";
const SCENARIO = {
  avds: [AVD],
  offlinePolls: 1,
  bootPolls: 2,
  installFailure: "INSTALL_FAILED_OLDER_SDK",
  buildTools: ["35.0.0"],
};
const TARGET = 1.2;
const MAX_RUNS = 7;

const BY_HAND = `set -u
adb="$1/platform-tools/adb"; emulator="$1/emulator/emulator"; out="$2"
"$emulator" -accel-check >/dev/null
"$emulator" -list-avds | grep -qx ${AVD}
"$emulator" -avd ${AVD} -port 5554 -no-window -gpu swiftshader_indirect -noaudio -no-boot-anim -no-snapshot-save >"$out/emulator.log" 2>&1 &
emu=$!
"$adb" -s emulator-5554 wait-for-device 2>/dev/null
until [ "$("$adb" -s emulator-5554 shell getprop sys.boot_completed 2>/dev/null)" = 1 ]; do sleep 0.5; done
"$adb" -s emulator-5554 shell getprop init.svc.bootanim >/dev/null
"$adb" -s emulator-5554 logcat -v threadtime >"$out/logcat.txt" 2>&1 &
logcat=$!
"$adb" -s emulator-5554 shell input keyevent 82
for s in window_animation_scale transition_animation_scale animator_duration_scale; do
  "$adb" -s emulator-5554 shell settings put global $s 0
done
pkg=$("$1/build-tools/35.0.0/aapt2" dump badging "$out/app.apk" | sed -n "s/^package: name='\\([^']*\\)'.*/\\1/p")
[ "$pkg" = ${APP_PACKAGE} ] || exit 3
"$adb" -s emulator-5554 install -r -t "$out/app.apk" >/dev/null 2>&1 || true
"$adb" -s emulator-5554 emu kill >/dev/null
wait $emu
kill $logcat 2>/dev/null; wait $logcat 2>/dev/null
"$adb" kill-server
`;

async function once(byHand: boolean, root: string): Promise<number> {
  const sdk = await createAndroidSdk(SCENARIO);
  const workspace = await mkdtemp(join(tmpdir(), "bench-e2e-"));
  try {
    // Each side's APK where it reads it: the plugin's from `app`, the script's next to its logs.
    await writeStandinApk(join(workspace, "build", "app.apk"), { package: APP_PACKAGE });
    await writeStandinApk(join(workspace, "app.apk"), { package: APP_PACKAGE });
    const result = byHand
      ? await run("sh", ["-c", BY_HAND, "sh", sdk.root, workspace], { timeoutMs: 120_000 })
      : await run(
          process.execPath,
          [existsSync(bundle(root)) ? bundle(root) : join(root, "plugins/emulator-e2e/src/index.ts")],
          {
            cwd: workspace,
            timeoutMs: 120_000,
            env: {
              PATH: process.env.PATH ?? "",
              HOME: process.env.HOME ?? "/root",
              // Appium with its driver in place, as in the image (the fake driver stands for
              // UiAutomator2): nothing is installed from the network while the bench runs.
              APPIUM_HOME: join(root, "plugins/emulator-e2e"),
              PLUGIN_APPIUM_DRIVERS: "fake",
              PLUGIN_SDK_ROOT: sdk.root,
              PLUGIN_APP: "build/app.apk",
              PLUGIN_SPECS: "e2e/*.spec.mjs",
            },
          },
        );
    const expected = byHand ? 0 : 1;
    // The plugin must have come as far as the script: to the refused install, not an earlier failure.
    if (result.code !== expected || (!byHand && !result.stderr.includes(SCENARIO.installFailure)))
      throw new Error(
        `${byHand ? "shell script" : "plugin"} exited ${result.code}: ${tail(result.stdout + result.stderr)}`,
      );
    return result.millis;
  } finally {
    await sdk.remove();
    await rm(workspace, { recursive: true, force: true });
  }
}

export const emulatorE2eBench: Bench = {
  name: "emulator-e2e",
  title: "emulator-e2e: boot, prepare and clean-up on the stand-in SDK vs the same steps in a shell script",
  async run(ctx): Promise<Row[]> {
    // Each run is seconds long (the stand-in boot), so fewer than the quick benches; still enough
    // that one run slowed by the machine's other work does not decide the median.
    const runs = Math.min(ctx.runs, MAX_RUNS);
    const plugin: number[] = [];
    const byHand: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        ctx.progress(`emulator-e2e: run ${i + 1} of ${runs}`);
        // Side by side, the order swapped every run: whichever goes second in a pair does not
        // always meet the same leftovers (page cache, the compile cache, the other's exit).
        if (i % 2 === 0) {
          byHand.push(await once(true, ctx.root));
          plugin.push(await once(false, ctx.root));
        } else {
          plugin.push(await once(false, ctx.root));
          byHand.push(await once(true, ctx.root));
        }
      }
    } catch (error) {
      return [
        {
          subject: "emulator-e2e lifecycle",
          measured: "-",
          baseline: "-",
          target: `≤ ${TARGET}×`,
          verdict: "FAIL",
          note: String((error as Error).message),
        },
      ];
    }
    const ratio = median(plugin) / median(byHand);
    return [
      {
        subject: "emulator-e2e lifecycle",
        measured: `${(median(plugin) / 1000).toFixed(2)} s`,
        baseline: `${(median(byHand) / 1000).toFixed(2)} s (sh + adb)`,
        ratio,
        target: `≤ ${TARGET}×`,
        verdict: verdict(ratio, TARGET),
        note: `median of ${runs}; run by run ${spread(plugin, byHand)}`,
      },
    ];
  },
};

/** The ratio of each run's pair, lowest to highest: how far one noisy run could move the verdict. */
function spread(plugin: number[], byHand: number[]): string {
  const ratios = plugin.map((millis, i) => millis / (byHand[i] ?? millis)).sort((a, b) => a - b);
  return `${(ratios[0] ?? 0).toFixed(2)}–${(ratios.at(-1) ?? 0).toFixed(2)}×`;
}
