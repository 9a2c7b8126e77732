import { HangarError, type Logger } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner } from "../runners/runner.ts";

const SDK_HINT =
  "Mount an Android SDK into the step and point `sdk_root` (or ANDROID_SDK_ROOT) at it, or use the SDK-carrying image (docs/emulator-e2e.md#the-image).";

/** Which of the SDK tools the run needs are missing on the runner. */
export async function missingTools(runner: Runner, plan: E2ePlan, signal?: AbortSignal): Promise<string[]> {
  const needed = [
    plan.sdk.adb,
    plan.sdk.emulator,
    ...(plan.avd.create ? [plan.sdk.sdkmanager, plan.sdk.avdmanager] : []),
  ];
  // One command for all of them: in host mode each command is an SSH channel, locally a process.
  const result = await runner.run(
    "sh",
    ["-c", 'for tool in "$@"; do [ -x "$tool" ] || printf "%s\\n" "$tool"; done', "sh", ...needed],
    { quiet: true, signal, timeoutMs: 10_000 },
  );
  if (result.exitCode !== 0) return needed;
  const missing = new Set(result.stdout.split("\n"));
  return needed.filter((tool) => missing.has(tool));
}

export async function requireTools(runner: Runner, plan: E2ePlan, signal?: AbortSignal): Promise<void> {
  const missing = await missingTools(runner, plan, signal);
  if (missing.length === 0) return;
  throw new HangarError("E_SDK_MISSING", `the Android SDK at ${plan.sdk.root} lacks ${missing.join(", ")}`, {
    hint: SDK_HINT,
  });
}

export interface KvmState {
  usable: boolean;
  detail: string;
}

/**
 * The emulator's own verdict (`emulator -accel-check`): it knows the device node, its
 * permissions and the kernel module, on whatever machine the runner is.
 */
export async function checkKvm(runner: Runner, plan: E2ePlan, signal?: AbortSignal): Promise<KvmState> {
  const result = await runner.run(plan.sdk.emulator, ["-accel-check"], {
    quiet: true,
    signal,
    timeoutMs: 30_000,
  });
  const detail = `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== "accel:" && line !== "accel")
    .join(" ");
  return {
    usable: result.exitCode === 0 && !/not (found|installed|usable)|permission/i.test(detail),
    detail,
  };
}

export async function requireKvm(runner: Runner, plan: E2ePlan, signal?: AbortSignal): Promise<void> {
  if (!plan.avd.abi.endsWith("x86_64") && !plan.avd.abi.endsWith("/x86")) return;
  const kvm = await checkKvm(runner, plan, signal);
  if (kvm.usable) return;
  throw new HangarError(
    "E_NO_KVM",
    `the emulator cannot use KVM here: ${kvm.detail || "no answer from emulator -accel-check"}`,
    {
      hint:
        "An x86_64 emulator needs /dev/kvm. In .drone.yml give the step `privileged: true` (the repository must be trusted), " +
        "or run the runner with /dev/kvm passed to its containers; or run the emulator on a VM with KVM (host mode).",
    },
  );
}

/** Names of the AVDs the emulator knows. */
export async function listAvds(runner: Runner, plan: E2ePlan, signal?: AbortSignal): Promise<string[]> {
  const result = await runner.run(plan.sdk.emulator, ["-list-avds"], {
    quiet: true,
    signal,
    timeoutMs: 30_000,
  });
  if (result.exitCode !== 0) return [];
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^[A-Za-z0-9._-]+$/.test(line));
}

/** Installs the system image and creates the AVD when it is missing (and allowed to). */
export async function ensureAvd(
  runner: Runner,
  plan: E2ePlan,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  if ((await listAvds(runner, plan, signal)).includes(plan.avd.name)) {
    log.info(`AVD ${plan.avd.name} exists`);
    return;
  }
  if (!plan.avd.create) {
    throw new HangarError("E_AVD_MISSING", `there is no AVD named ${plan.avd.name}`, {
      hint: "Create it on the machine (avdmanager create avd), fix `avd`, or set `create_avd: true`.",
    });
  }
  log.section(`creating AVD ${plan.avd.name}`);
  // sdkmanager asks to accept each licence; the answers are given up front, as `yes |` would.
  await must(runner, plan.sdk.sdkmanager, ["--install", plan.avd.systemImage], signal, "y\n".repeat(20));
  await must(
    runner,
    plan.sdk.avdmanager,
    [
      "create",
      "avd",
      "--force",
      "-n",
      plan.avd.name,
      "--abi",
      plan.avd.abi,
      "--package",
      plan.avd.systemImage,
      "--device",
      plan.avd.profile,
    ],
    signal,
    "no\n",
  );
}

async function must(
  runner: Runner,
  file: string,
  args: string[],
  signal: AbortSignal,
  input: string,
): Promise<void> {
  const result = await runner.run(file, args, { signal, input });
  if (result.exitCode === 0) return;
  const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
  throw new HangarError(
    "E_SDK_COMMAND",
    `${file.split("/").pop()} ${args[0]} failed (exit ${result.exitCode ?? "killed"}):\n${tail}`,
  );
}
