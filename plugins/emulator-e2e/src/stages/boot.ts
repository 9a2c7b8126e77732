import path from "node:path";
import { HangarError, pollUntil, TimeoutError } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner, Started } from "../runners/runner.ts";
import type { Step } from "./processes.ts";

const OUTPUT_LINES = 20;
/** Between two `getprop sys.boot_completed` polls. */
export const BOOT_POLL_MS = 500;

/**
 * Starts the emulator with its output in the artifacts, then waits for the device to come up and
 * finish booting: `adb wait-for-device`, then `sys.boot_completed` = 1 and the boot animation
 * stopped. `device offline`, a missing device or an adb server that (re)starts are states to wait
 * through, not failures; an emulator that exits is one, at once.
 */
export async function bootEmulator(step: Step, signal: AbortSignal): Promise<void> {
  const { runner, plan, processes, log } = step;
  const { serial, port, options, bootTimeoutMs } = plan.emulator;
  const outputFile = path.join(plan.artifacts.absolute, "emulator.log");
  log.section(`booting ${plan.avd.name} as ${serial}`);
  const started = Date.now();
  const emulator = await runner.start(
    "emulator",
    plan.sdk.emulator,
    ["-avd", plan.avd.name, "-port", String(port), ...options],
    { logFile: outputFile, env: { ANDROID_SDK_ROOT: plan.sdk.root, ANDROID_HOME: plan.sdk.root } },
  );
  processes.emulator = emulator;
  const gone = () => exitedError(runner, emulator, outputFile);

  const adb = (args: string[], timeoutMs: number, pollSignal: AbortSignal) =>
    runner.run(plan.sdk.adb, ["-s", serial, ...args], { quiet: true, timeoutMs, signal: pollSignal });

  try {
    await pollUntil(
      async (pollSignal) => {
        if (!emulator.running()) throw await gone();
        // Bounded per call: a wait-for-device that hangs on a dead adb server is asked again.
        const result = await adb(["wait-for-device"], 5_000, pollSignal);
        if (result.exitCode === 0) return true;
        return { pending: lastLine(result) || "the device is not there yet" };
      },
      {
        what: `${serial} to appear (adb wait-for-device)`,
        timeoutMs: bootTimeoutMs,
        intervalMs: 200,
        maxIntervalMs: 1_000,
        signal,
      },
    );
    log.info(`${serial} is there; waiting for the boot to complete`);
    let polls = 0;
    await pollUntil(
      async (pollSignal) => {
        if (!emulator.running()) throw await gone();
        polls++;
        const completed = await adb(["shell", "getprop", "sys.boot_completed"], 10_000, pollSignal);
        if (completed.exitCode !== 0)
          return { pending: lastLine(completed) || `adb exited ${completed.exitCode}` };
        if (completed.stdout.trim() !== "1")
          return { pending: `sys.boot_completed is "${completed.stdout.trim()}"` };
        const animation = await adb(["shell", "getprop", "init.svc.bootanim"], 10_000, pollSignal);
        if (animation.exitCode !== 0) return { pending: lastLine(animation) };
        if (animation.stdout.trim() === "running") return { pending: "the boot animation still runs" };
        return true;
      },
      {
        what: `${serial} to finish booting (sys.boot_completed)`,
        timeoutMs: Math.max(bootTimeoutMs - (Date.now() - started), 1_000),
        // A steady pace, as `until …; do sleep 0.5; done` would: a boot is over when it is over, and
        // a back-off would only add up to its last interval on top of it.
        intervalMs: BOOT_POLL_MS,
        signal,
      },
    );
    log.success(`${serial} booted in ${((Date.now() - started) / 1000).toFixed(1)}s (${polls} polls)`);
  } catch (error) {
    if (error instanceof TimeoutError) throw await bootTimedOut(runner, plan, outputFile, error);
    throw error;
  }
}

async function exitedError(runner: Runner, emulator: Started, outputFile: string): Promise<HangarError> {
  const code = await emulator.exited;
  const output = await runner.tail(outputFile, OUTPUT_LINES);
  return new HangarError(
    "E_EMULATOR_EXITED",
    `the emulator exited (code ${code ?? "signal"}) before it booted${output ? `; its last output:\n${indent(output)}` : ""}`,
    {
      hint: "Its output says why: an unknown AVD, an invalid option in `emulator_options`, no KVM, too little memory.",
    },
  );
}

async function bootTimedOut(
  runner: Runner,
  plan: E2ePlan,
  outputFile: string,
  error: TimeoutError,
): Promise<HangarError> {
  const output = await runner.tail(outputFile, OUTPUT_LINES);
  // A dump of what the device logged so far, if it answers at all.
  const logcat = await runner.run(
    plan.sdk.adb,
    ["-s", plan.emulator.serial, "logcat", "-d", "-t", String(OUTPUT_LINES)],
    {
      quiet: true,
      timeoutMs: 5_000,
    },
  );
  const logcatText = logcat.exitCode === 0 ? logcat.stdout.trim() : "";
  const seconds = Math.round(plan.emulator.bootTimeoutMs / 1000);
  return new HangarError(
    "E_BOOT_TIMEOUT",
    `the emulator did not finish booting within boot_timeout (${seconds}s): ${error.message.replace(/^timed out after [^ ]+ waiting for /, "waited for ")}` +
      `\nemulator output (last lines):\n${indent(output || "(none)")}` +
      `\nlogcat (last lines):\n${indent(logcatText || "(the device did not answer)")}`,
    {
      hint: "A boot without KVM or with too little memory is slow or hangs; raise boot_timeout only if the output shows progress.",
    },
  );
}

function lastLine(result: { stdout: string; stderr: string }): string {
  return `${result.stderr}\n${result.stdout}`.trim().split("\n").filter(Boolean).pop() ?? "";
}

export function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
