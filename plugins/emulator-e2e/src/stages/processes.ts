import type { Logger } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner, Started } from "../runners/runner.ts";

/** What every stage of a run works with: the plan, where it runs, what it started, the log. */
export interface Step {
  plan: E2ePlan;
  runner: Runner;
  processes: Processes;
  log: Logger;
}

/** What the step started, so clean-up stops exactly that, whatever went wrong in between. */
export interface Processes {
  emulator?: Started;
  logcat?: Started;
  appium?: Started;
  /** Where the Appium this step started answers (for ending its sessions). */
  appiumUrl?: string;
  wdio?: Started;
  /** Where WebdriverIO records the sessions it opened (for ending them on `appium_url`). */
  sessionsFile?: string;
  /** An adb server was used on the runner (local mode: stopped at the end). */
  adbUsed?: boolean;
}
