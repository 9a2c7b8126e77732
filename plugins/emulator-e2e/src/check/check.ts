import type { RunResult, Runtime } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner } from "../runners/runner.ts";
import { findApkReaders, noReaders } from "../tools/apk-package.ts";
import { installedDrivers } from "../tools/appium.ts";
import { checkKvm, listAvds, missingTools } from "../tools/sdk.ts";
import { hostRequirements, type Item } from "./host-check.ts";

/** `action: check`: what the machine lacks to run the tests, changing nothing. */
export async function runCheck(plan: E2ePlan, runner: Runner, runtime: Runtime): Promise<RunResult> {
  const { log, signal } = runtime;
  const items: Item[] = [];
  if (plan.ssh) items.push(...(await hostRequirements(runner, plan, signal)));
  const missing = await missingTools(runner, plan, signal);
  items.push({
    name: "SDK tools",
    ok: missing.length === 0,
    detail: missing.length === 0 ? `present in ${plan.sdk.root}` : `missing: ${missing.join(", ")}`,
  });
  items.push(await apkReaderItem(runner, plan, signal));
  if (!missing.includes(plan.sdk.emulator)) {
    const kvm = await checkKvm(runner, plan, signal);
    items.push({ name: "KVM", ok: kvm.usable, detail: kvm.detail || "no answer from emulator -accel-check" });
    const avds = await listAvds(runner, plan, signal);
    const has = avds.includes(plan.avd.name);
    items.push({
      name: `AVD ${plan.avd.name}`,
      ok: has || plan.avd.create,
      detail: has
        ? "exists"
        : plan.avd.create
          ? `missing; created from ${plan.avd.systemImage} on the first run`
          : "missing and create_avd is false",
    });
  }
  if (plan.appium.url) {
    items.push({ name: "Appium", ok: true, detail: `appium_url ${plan.appium.url} (not contacted)` });
  } else {
    const drivers = await installedDrivers(runner, signal);
    if (typeof drivers === "string") items.push({ name: "Appium", ok: false, detail: drivers });
    else {
      const absent = plan.appium.drivers.filter((name) => !drivers.includes(name));
      items.push({
        name: "Appium drivers",
        ok: true,
        detail:
          absent.length === 0
            ? `installed: ${drivers.join(", ")}`
            : `${absent.join(", ")} not installed yet; installed on the first run`,
      });
    }
  }
  log.section("check");
  for (const item of items)
    (item.ok ? log.success.bind(log) : log.error.bind(log))(`${item.name}: ${item.detail}`);
  const failing = items.filter((item) => !item.ok);
  return {
    ok: failing.length === 0,
    summary:
      failing.length === 0
        ? "check: ready to run the tests"
        : `check: ${failing.map((item) => item.name).join(", ")} not ready`,
    outputs: { ready: String(failing.length === 0) },
    card: {
      title: failing.length === 0 ? "Android e2e: ready" : "Android e2e: not ready",
      status: failing.length === 0 ? "success" : "failure",
      facts: items.map((item) => ({ name: item.name, value: `${item.ok ? "✔" : "✖"} ${item.detail}` })),
    },
  };
}

/** Whether the app's package can be read from the APK (aapt2, else apkanalyzer), and whether it must. */
async function apkReaderItem(runner: Runner, plan: E2ePlan, signal: AbortSignal): Promise<Item> {
  const name = "APK reader";
  const readers = await findApkReaders(runner, plan.sdk.root, signal);
  const found = readers.aapt2 ?? readers.apkanalyzer;
  if (found) return { name, ok: true, detail: `${found} reads the app's package` };
  const absent = noReaders(plan.sdk.root, runner);
  if (plan.appPackage)
    return { name, ok: true, detail: `${absent}; not needed, ${plan.appPackageFrom} names the package` };
  if (!plan.packageNeeded) return { name, ok: true, detail: `${absent}; the package is left to Appium` };
  return {
    name,
    ok: false,
    detail: `${absent}: install the build tools (sdkmanager "build-tools;35.0.0"), which UiAutomator2 needs too, or set app_package`,
  };
}
