import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, type Logger } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner, Started } from "../runners/runner.ts";
import type { Step } from "./processes.ts";

/**
 * Waits are short: all of clean-up must fit in the cancel grace period (10 s by default) that
 * Drone gives a cancelled step before it kills the container.
 */
const WDIO_GRACE_MS = 2_000;
const APPIUM_GRACE_MS = 2_000;
const EMULATOR_KILL_WAIT_MS = 2_000;
const TERM_WAIT_MS = 1_000;
const SESSION_DELETE_TIMEOUT_MS = 2_000;
/**
 * `adb kill-server` returns at once, but nothing else stops the daemon: a slow start of adb on a
 * busy machine must not leave it running. A cancel still ends it when the grace period does.
 */
const KILL_SERVER_TIMEOUT_MS = 10_000;

/**
 * Stops everything the step started, in the order that lets each part end cleanly: the test run
 * (WebdriverIO ends its session), Appium's sessions and Appium, the emulator (`adb emu kill`,
 * asked twice, then its process killed), logcat, the adb server. Runs after success, failure,
 * timeout and cancel alike; when `signal` (the end of the grace period) aborts, whatever is left
 * is killed at once.
 */
export async function cleanUp(step: Step, signal: AbortSignal): Promise<void> {
  const { runner, plan, processes, log } = step;
  const onAbort = () => {
    for (const child of [processes.wdio, processes.appium, processes.emulator, processes.logcat])
      child?.kill("SIGKILL");
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const testsRunning = processes.wdio?.running() === true;
    if (processes.wdio) await stop(processes.wdio, WDIO_GRACE_MS, log, signal);
    // WebdriverIO stopped mid-run leaves its sessions open; on an Appium the step started they go
    // with it, on `appium_url` they would hold the device until that server's own timeout.
    if (testsRunning && plan.appium.url && processes.sessionsFile) {
      await endRecordedSessions(plan.appium.url, processes.sessionsFile, log, signal);
    }
    if (processes.appium) {
      if (processes.appiumUrl) await endSessions(processes.appiumUrl, log, signal);
      await stop(processes.appium, APPIUM_GRACE_MS, log, signal);
    }
    if (processes.emulator) await stopEmulator(runner, plan, processes.emulator, log, signal);
    if (processes.logcat) await stop(processes.logcat, TERM_WAIT_MS, log, signal);
    if (processes.adbUsed) {
      // The adb server is a daemon adb forks on first use, outside every process group the step
      // started: in the step's container it is ours, and on a host (the step's own VM) too.
      await runner.run(plan.sdk.adb, ["kill-server"], {
        quiet: true,
        timeoutMs: KILL_SERVER_TIMEOUT_MS,
        signal,
      });
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** SIGTERM, then SIGKILL after the grace period. */
async function stop(child: Started, graceMs: number, log: Logger, signal: AbortSignal): Promise<void> {
  if (!child.running()) return;
  child.kill("SIGTERM");
  if (await exitsWithin(child, graceMs, signal)) {
    log.info(`stopped ${child.name}`);
    return;
  }
  child.kill("SIGKILL");
  await exitsWithin(child, TERM_WAIT_MS);
  log.warn(`${child.name} did not stop within ${graceMs / 1000}s of SIGTERM; killed`);
}

async function stopEmulator(
  runner: Runner,
  plan: E2ePlan,
  emulator: Started,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  if (!emulator.running()) return;
  // The console command first: the emulator then shuts down the guest and its helpers itself.
  for (let attempt = 1; attempt <= 2; attempt++) {
    await runner.run(plan.sdk.adb, ["-s", plan.emulator.serial, "emu", "kill"], { timeoutMs: 3_000, signal });
    if (await exitsWithin(emulator, EMULATOR_KILL_WAIT_MS, signal)) {
      log.info(`emulator ${plan.emulator.serial} stopped`);
      return;
    }
    if (signal.aborted) break;
    log.warn(
      `emulator still running ${EMULATOR_KILL_WAIT_MS / 1000}s after adb emu kill (attempt ${attempt})`,
    );
  }
  emulator.kill("SIGTERM");
  if (await exitsWithin(emulator, TERM_WAIT_MS, signal)) {
    log.warn("emulator stopped on SIGTERM");
    return;
  }
  emulator.kill("SIGKILL");
  await exitsWithin(emulator, TERM_WAIT_MS);
  log.warn("emulator did not stop; killed (SIGKILL)");
}

/**
 * Whether the child exits within `ms`. The timer goes as soon as the race is decided: a pending one
 * would keep the step's process alive for the rest of its length after everything has stopped.
 */
export async function exitsWithin(child: Started, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (!child.running()) return true;
  const done = new AbortController();
  const timer = sleep(ms, false, {
    signal: signal ? AbortSignal.any([signal, done.signal]) : done.signal,
  }).catch(() => false);
  try {
    return await Promise.race([child.exited.then(() => true), timer]);
  } finally {
    done.abort();
  }
}

/** DELETE /session/:id for each session the run recorded (wdio.ts), within the clean-up's time. */
async function endRecordedSessions(
  url: string,
  file: string,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const ids = new Set(
    (await readFile(file, "utf8").catch(() => ""))
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== ""),
  );
  for (const id of ids) await endSession(url.replace(/\/+$/, ""), id, log, signal);
}

async function endSession(url: string, id: string, log: Logger, signal: AbortSignal): Promise<void> {
  try {
    const answer = await fetch(`${url}/session/${encodeURIComponent(id)}`, {
      method: "DELETE",
      signal: AbortSignal.any([signal, AbortSignal.timeout(SESSION_DELETE_TIMEOUT_MS)]),
    });
    await answer.body?.cancel();
    // 404: WebdriverIO had ended it itself.
    if (answer.ok) log.info(`ended WebDriver session ${id} on ${url}`);
  } catch (error) {
    log.warn(`could not end WebDriver session ${id} on ${url}: ${errorMessage(error)}`);
  }
}

/** Appium deletes a session's driver state on DELETE; the driver's helpers on the device go with it. */
async function endSessions(url: string, log: Logger, signal: AbortSignal): Promise<void> {
  try {
    const answer = await fetch(`${url}/appium/sessions`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
    });
    if (!answer.ok) return;
    const body = (await answer.json()) as { value?: { id?: string }[] };
    for (const session of body.value ?? []) {
      if (!session.id) continue;
      await fetch(`${url}/session/${encodeURIComponent(session.id)}`, {
        method: "DELETE",
        signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
      }).catch(() => undefined);
      log.info(`ended Appium session ${session.id}`);
    }
  } catch {
    // Appium is stopped next either way.
  }
}
