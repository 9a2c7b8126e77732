import type { Started } from "../runners/runner.ts";

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
