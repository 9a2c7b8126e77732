import type { PluginDefinition, RunResult } from "@hangar/kit";
import { runCheck } from "./check.ts";
import { checkSettings, describePlan, type E2ePlan, planRun, resolveHost } from "./plan.ts";
import { runTests } from "./run-test.ts";
import { LocalRunner } from "./runner-local.ts";
import { type EmulatorE2eSchema, emulatorE2eSettings } from "./settings.ts";

type Plan = E2ePlan & { host: string | undefined };

export const emulatorE2e: PluginDefinition<EmulatorE2eSchema, Plan> = {
  name: "emulator-e2e",
  description:
    "Boot an Android emulator, install the app, run Appium + WebdriverIO tests, collect the evidence, always clean up.",
  settings: emulatorE2eSettings,
  check: checkSettings,
  async plan(settings, context) {
    return { ...planRun(settings, context), host: await resolveHost(settings, context) };
  },
  describe: describePlan,

  async run(plan, runtime): Promise<RunResult> {
    const runner = new LocalRunner(plan.artifacts.absolute, runtime.log, runtime.env);
    if (plan.action === "check") return runCheck(plan, runner, runtime, plan.host);
    return runTests(plan, runner, runtime);
  },
};
