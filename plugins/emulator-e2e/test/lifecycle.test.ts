import { describe, expect, it } from "vitest";
import {
  AVD,
  bootPolled,
  DEVICE_READY,
  expectEmulatorStopped,
  perTestRun,
  runCancelledWhen,
  runStep,
  SERIAL,
} from "./helpers.ts";

/**
 * The emulator's lifecycle against the test bed's stand-in SDK (adb, emulator, sdkmanager,
 * avdmanager behaving as the real ones do). Each run ends before Appium (a failed install, a boot
 * that never completes, a cancel), so what is asserted is the order of the SDK calls and that no
 * process outlives the step.
 */
describe("the emulator's lifecycle", { timeout: 180_000 }, () => {
  const { setUp } = perTestRun();

  it("without KVM fails with a message that says how to pass it, before anything starts", async () => {
    const { sdk, ws, env } = await setUp({ kvm: false, avds: [AVD] });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("cannot use KVM here: 8 /dev/kvm is not found");
    expect(run.output).toContain("privileged: true");
    expect(run.output).toContain("[E_NO_KVM]");
    expect(sdk.transcript()).toEqual(["emulator -accel-check"]);
    expect(sdk.running()).toEqual([]);
  });

  it("creates a missing AVD, boots through `device offline`, prepares the device in order and cleans up", async () => {
    const { sdk, ws, env } = await setUp({
      offlinePolls: 2,
      bootPolls: 2,
      installFailure: "INSTALL_FAILED_OLDER_SDK",
    });
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("installing the app failed: adb: failed to install");
    expect(run.output).toContain("INSTALL_FAILED_OLDER_SDK");
    // The emulator records its start once Node has loaded it, which may be after adb's first call.
    const boot = `emulator -avd ${AVD} -port 5554 -no-window -gpu swiftshader_indirect -noaudio -no-boot-anim -no-snapshot-save`;
    const all = sdk.transcript();
    expect(all.indexOf(boot)).toBeGreaterThan(
      all.indexOf(
        "avdmanager create avd --force -n hangar-34-google_apis-x86_64 --abi google_apis/x86_64 --package system-images;android-34;google_apis;x86_64 --device pixel_6",
      ),
    );
    expect(all.indexOf(boot)).toBeLessThan(all.indexOf(`adb -s ${SERIAL} shell getprop sys.boot_completed`));
    const calls = all.filter((call) => !call.includes("logcat") && call !== boot);
    const polls = calls.filter((call) => call.endsWith("getprop sys.boot_completed"));
    expect(polls).toHaveLength(5);
    const distinct = calls.filter((call, index) => call !== calls[index - 1]);
    expect(distinct).toEqual([
      "emulator -accel-check",
      "emulator -list-avds",
      "sdkmanager --install system-images;android-34;google_apis;x86_64",
      `avdmanager create avd --force -n ${AVD} --abi google_apis/x86_64 --package system-images;android-34;google_apis;x86_64 --device pixel_6`,
      ...DEVICE_READY,
      expect.stringMatching(/^aapt2 dump badging .*app\.apk$/),
      expect.stringMatching(new RegExp(`^adb -s ${SERIAL} install -r -t .*app\\.apk$`)),
      `adb -s ${SERIAL} emu kill`,
      "adb kill-server",
    ]);
    expect(sdk.transcript()).toContain(`adb -s ${SERIAL} logcat -v threadtime`);
    expect(sdk.running()).toEqual([]);
  });

  it("a boot that never completes fails naming boot_timeout, with the emulator's and logcat's last lines", async () => {
    const { sdk, ws, env } = await setUp({ neverBoots: true, avds: [AVD] });
    const run = await runStep({ ...env, PLUGIN_BOOT_TIMEOUT: "8s" }, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("did not finish booting within boot_timeout (8s)");
    expect(run.output).toContain("Booting the guest (no window)");
    expect(run.output).toContain("starting service 'zygote'");
    expect(run.output).toContain("[E_BOOT_TIMEOUT]");
    expectEmulatorStopped(sdk);
  });

  it("an emulator that ignores the first kill is asked again and is gone at the end", async () => {
    const { sdk, ws, env } = await setUp({
      ignoreFirstKill: true,
      avds: [AVD],
      installFailure: "INSTALL_FAILED_INVALID_APK",
    });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("emulator still running 2s after adb emu kill (attempt 1)");
    expect(sdk.transcript().filter((call) => call.endsWith("emu kill"))).toHaveLength(2);
    expect(sdk.running()).toEqual([]);
  });

  it("waits for an `adb kill-server` slow to act (a busy machine), so the adb server does not outlive the step", async () => {
    const { sdk, ws, env } = await setUp({
      slowKillServerMs: 4_000,
      avds: [AVD],
      installFailure: "INSTALL_FAILED_INVALID_APK",
    });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(sdk.transcript().at(-1)).toBe("adb kill-server");
    expect(sdk.running()).toEqual([]);
  });

  it("a cancel (SIGTERM) during the boot stops the emulator, logcat and adb within the grace period", async () => {
    const { sdk, ws, env } = await setUp({ neverBoots: true, avds: [AVD] });
    const started = Date.now();
    const run = await runCancelledWhen(env, ws.dir, bootPolled(sdk));
    expect(run.code).toBe(1);
    expect(run.output).toContain("cleaning up");
    expectEmulatorStopped(sdk);
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});
