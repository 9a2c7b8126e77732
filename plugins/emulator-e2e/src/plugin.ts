import type { PluginDefinition, RunResult } from "@hangar/kit";
import { runCheck } from "./check/check.ts";
import { planHost } from "./host-target.ts";
import { checkSettings, describePlan, type E2ePlan, planRun, resolveHost } from "./plan.ts";
import { runTests } from "./run-test.ts";
import { openHost } from "./runners/host.ts";
import type { Runner } from "./runners/runner.ts";
import { LocalRunner } from "./runners/runner-local.ts";
import { type EmulatorE2eSchema, emulatorE2eSettings } from "./settings.ts";

export const emulatorE2e: PluginDefinition<EmulatorE2eSchema, E2ePlan> = {
  name: "emulator-e2e",
  description:
    "Boot an Android emulator, install the app, run Appium + WebdriverIO tests, collect the evidence, always clean up.",
  settings: emulatorE2eSettings,
  check: checkSettings,
  async plan(settings, context) {
    return {
      ...planRun(settings, context),
      ssh: await planHost(settings, context, await resolveHost(settings, context)),
    };
  },
  describe: describePlan,

  async run(plan, runtime): Promise<RunResult> {
    // Host mode logs in (host key checked first) before anything runs anywhere.
    const runner: Runner = plan.ssh
      ? await openHost(plan.ssh, plan.artifacts.absolute, runtime)
      : new LocalRunner(plan.artifacts.absolute, runtime.log, runtime.env);
    try {
      if (plan.action === "check") return await runCheck(plan, runner, runtime);
      return await runTests(plan, runner, runtime);
    } finally {
      await runner.close();
    }
  },
};
