import path from "node:path";
import { formatDuration, HangarError, type RunResult, type Runtime, untilAborted } from "@hangar/kit";
import type { E2ePlan } from "./plan.ts";
import type { Runner } from "./runners/runner.ts";
import { resolveApp } from "./stages/app.ts";
import { freshArtifacts } from "./stages/artifacts-dir.ts";
import { bootEmulator } from "./stages/boot.ts";
import { cleanUp } from "./stages/cleanup.ts";
import { prepareDevice } from "./stages/prepare.ts";
import type { Step } from "./stages/processes.ts";
import { collectResults, resultCard, summaryLine } from "./stages/results.ts";
import { startAppium } from "./tools/appium.ts";
import { ensureAvd, requireKvm, requireTools } from "./tools/sdk.ts";
import { startWdio } from "./tools/wdio.ts";

/**
 * Boot (the APK uploaded meanwhile) → prepare (Appium starting as the app installs) → WebdriverIO,
 * all within `timeout`; then clean-up, always, under the cancel grace period; then the verdict from
 * the JUnit reports.
 */
export async function runTests(plan: E2ePlan, runner: Runner, runtime: Runtime): Promise<RunResult> {
  const { log } = runtime;
  // Reports of an earlier run in the same workspace must not count for this one.
  await freshArtifacts(plan.workspace, path.relative(plan.workspace, plan.artifacts.absolute));
  // Nothing is started before the machine is known to be able to run an emulator.
  await requireTools(runner, plan, runtime.signal);
  await requireKvm(runner, plan, runtime.signal);

  const step: Step = { plan, runner, processes: {}, log };
  const { processes } = step;
  const timeout = AbortSignal.timeout(plan.timeoutMs);
  const signal = AbortSignal.any([runtime.signal, timeout]);
  let phase = "fetching the app";
  let failure: unknown;
  let exitCode: number | null = null;
  let appPackage: string | undefined;
  try {
    if (!plan.app) throw new HangarError("E_NO_APP", "no app to install");
    const apk = await resolveApp(plan.app, plan.workspace, log, runtime.fetch, signal);
    phase = "creating the AVD";
    await ensureAvd(runner, plan, log, signal);
    phase = "booting the emulator";
    processes.adbUsed = true;
    // The APK goes to the runner while the emulator boots: in host mode an upload of megabytes. A
    // failed upload stops the boot; a failed boot leaves an upload under way to the runner's close.
    const upload = runner.upload(apk, "app.apk", signal);
    const uploadFailed = new AbortController();
    upload.catch((error: unknown) => uploadFailed.abort(error));
    await bootEmulator(step, AbortSignal.any([signal, uploadFailed.signal]));
    phase = "uploading the app";
    const apkOnRunner = await upload;
    // Appium needs no device to start: it comes up while the app installs (seconds on a real
    // device). Not before: a device that fails to prepare would have had it start for nothing.
    phase = "preparing the device and starting Appium";
    let installing: () => void = () => {};
    const installStarted = new Promise<void>((resolve) => {
      installing = resolve;
    });
    let appiumUrl: string;
    [appPackage, appiumUrl] = await alongside(
      signal,
      (both) => prepareDevice(step, apkOnRunner, both, installing),
      async (both) => {
        await untilAborted(installStarted, both);
        return startAppium(step, both);
      },
    );
    phase = "running the tests";
    const wdio = await startWdio(
      { ...plan, appPackage },
      { appiumUrl, apkOnRunner },
      processes,
      log,
      runtime.env,
    );
    exitCode = await untilAborted(wdio.exited, signal);
  } catch (error) {
    failure =
      timeout.aborted && !runtime.signal.aborted
        ? new HangarError("E_TIMEOUT", `timeout (${formatDuration(plan.timeoutMs)}) ran out while ${phase}`, {
            hint: "Raise `timeout`, or look at the evidence in the artifacts for what was slow.",
          })
        : error;
  } finally {
    log.section("cleaning up");
    await cleanUp(step, runtime.cleanupSignal);
    await runner.close();
  }
  if (failure) throw failure;

  const results = await collectResults(plan.artifacts.absolute, plan.workspace);
  const ok = exitCode === 0 && results.failed === 0;
  const summary =
    !ok && results.failed === 0
      ? `WebdriverIO exited with code ${exitCode ?? "signal"} (${summaryLine(results)}); its output is above and in ${plan.artifacts.relative}/wdio.log`
      : summaryLine(results);
  return {
    ok,
    summary,
    outputs: {
      passed: String(results.passed),
      failed: String(results.failed),
      skipped: String(results.skipped),
      junit: results.junit ?? "",
      artifacts: plan.artifacts.relative,
      app_package: appPackage ?? "",
    },
    card: resultCard(results, ok, plan.emulator.serial, plan.artifacts.relative, runner.transferred?.()),
  };
}

/**
 * Runs `side` while `main` runs. The failures are reported as if one had run after the other: the
 * main step's first (it stops the side step, through the signal the side is given), the side's
 * only once the main has succeeded. Settles only once both have, so clean-up sees every process
 * they started.
 */
export async function alongside<A, B>(
  signal: AbortSignal,
  main: (signal: AbortSignal) => Promise<A>,
  side: (signal: AbortSignal) => Promise<B>,
): Promise<[A, B]> {
  const mainFailed = new AbortController();
  const sideResult = side(AbortSignal.any([signal, mainFailed.signal])).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let mainValue: A;
  try {
    mainValue = await main(signal);
  } catch (error) {
    mainFailed.abort(error);
    await sideResult;
    throw error;
  }
  const settled = await sideResult;
  if (!settled.ok) throw settled.error;
  return [mainValue, settled.value];
}
