import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { formatDuration, HangarError, type RunResult, type Runtime } from "@hangar/kit";
import { resolveApp } from "./app.ts";
import { startAppium } from "./appium.ts";
import { bootEmulator } from "./boot.ts";
import { cleanUp } from "./cleanup.ts";
import type { E2ePlan } from "./plan.ts";
import { prepareDevice } from "./prepare.ts";
import type { Processes } from "./processes.ts";
import { collectResults, resultCard, summaryLine } from "./results.ts";
import type { Runner } from "./runner.ts";
import { ensureAvd, requireKvm, requireTools } from "./sdk.ts";
import { startWdio } from "./wdio.ts";

/**
 * Boot → prepare → Appium → WebdriverIO, all within `timeout`; then clean-up, always, under the
 * cancel grace period; then the verdict from the JUnit reports.
 */
export async function runTests(plan: E2ePlan, runner: Runner, runtime: Runtime): Promise<RunResult> {
  const { log } = runtime;
  await freshArtifacts(plan);
  // Nothing is started before the machine is known to be able to run an emulator.
  await requireTools(runner, plan, runtime.signal);
  await requireKvm(runner, plan, runtime.signal);

  const processes: Processes = {};
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
    await bootEmulator(runner, plan, processes, log, signal);
    phase = "preparing the device";
    const apkOnRunner = await runner.upload(apk, "app.apk");
    appPackage = await prepareDevice(runner, plan, apkOnRunner, processes, log, signal);
    phase = "starting Appium";
    const appiumUrl = await startAppium(runner, plan, processes, log, signal);
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
    await cleanUp(runner, plan, processes, log, runtime.cleanupSignal);
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
    card: resultCard(results, ok, plan.emulator.serial, plan.artifacts.relative),
  };
}

/** Reports of an earlier run in the same workspace must not count for this one. */
async function freshArtifacts(plan: E2ePlan): Promise<void> {
  for (const stale of ["junit", "screenshots", "wdio", "junit.xml"]) {
    await rm(path.join(plan.artifacts.absolute, stale), { recursive: true, force: true });
  }
  await mkdir(path.join(plan.artifacts.absolute, "junit"), { recursive: true });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
