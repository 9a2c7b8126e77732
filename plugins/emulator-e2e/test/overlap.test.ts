import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, runCaptured } from "@hangar/kit";
import type { AndroidScenario } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { emulatorE2e } from "../src/plugin.ts";
import { alongside, runTests } from "../src/run-test.ts";
import type { RunOptions } from "../src/runners/runner.ts";
import { LocalRunner } from "../src/runners/runner-local.ts";
import { AVD, expectEmulatorStopped, perTestRun, SERIAL } from "./helpers.ts";

/** A local runner that notes when things happen and can slow or fail them. */
class WatchedRunner extends LocalRunner {
  uploadStartedAt = 0;
  appiumAskedAt = 0;
  installEndedAt = 0;
  uploadFails: Error | undefined;
  installDelayMs = 0;

  override async upload(localPath: string, remoteName: string): Promise<string> {
    this.uploadStartedAt = Date.now();
    if (this.uploadFails) {
      await sleep(200);
      throw this.uploadFails;
    }
    return super.upload(localPath, remoteName);
  }

  override appiumCommand(): { file: string; prefix: string[] } {
    this.appiumAskedAt ||= Date.now();
    return super.appiumCommand();
  }

  override async run(file: string, args: readonly string[], options?: RunOptions) {
    if (!args.includes("install")) return super.run(file, args, options);
    await sleep(this.installDelayMs);
    const result = await super.run(file, args, options);
    this.installEndedAt = Date.now();
    return result;
  }
}

/** The plugin as a step runs it, on `runner`. */
type MakeRunner = (
  workDir: string,
  log: Logger,
  env: Readonly<Record<string, string | undefined>>,
) => WatchedRunner;

function runOn(runner: MakeRunner, env: Record<string, string>, dir: string) {
  const plugin: typeof emulatorE2e = {
    ...emulatorE2e,
    run: (plan, runtime) =>
      runTests(plan, runner(plan.artifacts.absolute, runtime.log, runtime.env), runtime),
  };
  return runCaptured(plugin, env, dir);
}

describe("steps that need not wait for each other", { timeout: 180_000 }, () => {
  const bed = perTestRun();

  async function setUp(scenario: AndroidScenario) {
    const { sdk, ws, env } = await bed.setUp(scenario);
    let watched: WatchedRunner | undefined;
    const runner: MakeRunner = (workDir, log, runnerEnv) => {
      watched = new WatchedRunner(workDir, log, runnerEnv);
      return watched;
    };
    return { sdk, ws, env, runner, watched: () => watched as WatchedRunner };
  }

  it("the APK goes to the runner while the emulator boots", async () => {
    const { sdk, ws, env, runner, watched } = await setUp({
      avds: [AVD],
      bootPolls: 2,
      installFailure: "INSTALL_FAILED_OLDER_SDK",
    });
    const run = await runOn(runner, env, ws.dir);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("INSTALL_FAILED_OLDER_SDK");
    const firstPoll = sdk
      .calls()
      .find((call) => call.args.join(" ") === `-s ${SERIAL} shell getprop sys.boot_completed`);
    expect(firstPoll).toBeDefined();
    expect(watched().uploadStartedAt).toBeGreaterThan(0);
    expect(watched().uploadStartedAt).toBeLessThan(firstPoll?.at ?? 0);
    expect(sdk.running()).toEqual([]);
  });

  it("a failed upload stops a boot under way at once, and everything started is cleaned up", async () => {
    const { sdk, ws, env, runner } = await setUp({ avds: [AVD], neverBoots: true });
    const failing: MakeRunner = (...args) => {
      const watched = runner(...args);
      watched.uploadFails = new Error("no space left on the runner");
      return watched;
    };
    const started = Date.now();
    const run = await runOn(failing, { ...env, PLUGIN_BOOT_TIMEOUT: "120s" }, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("no space left on the runner");
    expect(Date.now() - started).toBeLessThan(60_000);
    expectEmulatorStopped(sdk);
  });

  it("Appium is set going while the app installs, and the install's failure is the one reported", async () => {
    const { sdk, ws, env, runner } = await setUp({
      avds: [AVD],
      bootPolls: 1,
      installFailure: "INSTALL_FAILED_OLDER_SDK",
    });
    let watched: WatchedRunner | undefined;
    const slowInstall: MakeRunner = (...args) => {
      watched = runner(...args);
      watched.installDelayMs = 1_500;
      return watched;
    };
    const run = await runOn(slowInstall, env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain("installing the app failed");
    expect(run.output).toContain("INSTALL_FAILED_OLDER_SDK");
    expect(watched?.appiumAskedAt).toBeGreaterThan(0);
    expect(watched?.appiumAskedAt).toBeLessThan(watched?.installEndedAt ?? 0);
    // Not before the install: a device that failed to prepare would have had Appium start for nothing.
    const packageRead = sdk.calls().find((call) => call.tool === "aapt2");
    expect(watched?.appiumAskedAt).toBeGreaterThanOrEqual(packageRead?.at ?? Number.POSITIVE_INFINITY);
    expect(sdk.running()).toEqual([]);
  });
});

describe("alongside", () => {
  it("runs both steps at once", async () => {
    let release: () => void = () => {};
    const secondStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first can only finish once the second has begun: in turn, they would never end.
    const result = await alongside(
      new AbortController().signal,
      async () => {
        await secondStarted;
        return "main";
      },
      async () => {
        release();
        return 2;
      },
    );
    expect(result).toEqual(["main", 2]);
  });

  it("the main step's failure stops the side step, waits for it to settle and is the one reported", async () => {
    const failure = new Error("install failed");
    let sideSettled = false;
    let sideReason: unknown;
    const outcome = alongside(
      new AbortController().signal,
      async () => {
        await sleep(20);
        throw failure;
      },
      async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        sideReason = signal.reason;
        // Stopping takes a moment (a process to end); alongside must not return before it has.
        await sleep(100);
        sideSettled = true;
        throw new Error("aborted");
      },
    );
    await expect(outcome).rejects.toBe(failure);
    expect(sideSettled).toBe(true);
    expect(sideReason).toBe(failure);
  });

  it("a side step's failure is reported after the main step, as if it had run second", async () => {
    const sideFailure = new Error("no appium");
    const mainFailure = new Error("install failed");
    const failingSide = async () => {
      throw sideFailure;
    };
    // The side fails at once, the main later: the main's failure is still the one reported.
    await expect(
      alongside(
        new AbortController().signal,
        async () => {
          await sleep(50);
          throw mainFailure;
        },
        failingSide,
      ),
    ).rejects.toBe(mainFailure);
    // A main step that succeeds is seen through; then the side's failure is the step's.
    let mainDone = false;
    await expect(
      alongside(
        new AbortController().signal,
        async () => {
          await sleep(50);
          mainDone = true;
        },
        failingSide,
      ),
    ).rejects.toBe(sideFailure);
    expect(mainDone).toBe(true);
  });
});
