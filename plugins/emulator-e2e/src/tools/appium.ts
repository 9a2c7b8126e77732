import path from "node:path";
import { fileURLToPath } from "node:url";
import { HangarError, type Logger, pollUntil } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Runner } from "../runners/runner.ts";
import type { Step } from "../stages/processes.ts";

const STATUS_TIMEOUT_MS = 60_000;
const DRIVER_INSTALL_TIMEOUT_MS = 5 * 60_000;

/**
 * Appium runs as its own process from its own CLI, never bundled into the plugin: it loads its
 * drivers from APPIUM_HOME at run time, and its log is evidence of its own. Locally that is the
 * `appium` package next to the plugin (the image's /opt/hangar/node_modules, with APPIUM_HOME set to
 * /opt/hangar/appium where the UiAutomator2 driver is registered), else `appium` on PATH.
 */
export function appiumCommand(): { file: string; prefix: string[] } {
  try {
    const main = fileURLToPath(import.meta.resolve("appium/package.json"));
    return { file: process.execPath, prefix: [path.join(path.dirname(main), "index.js")] };
  } catch {
    return { file: "appium", prefix: [] };
  }
}

export async function installedDrivers(runner: Runner, signal?: AbortSignal): Promise<string[] | string> {
  const { file, prefix } = runner.appiumCommand();
  const result = await runner.run(file, [...prefix, "driver", "list", "--installed", "--json"], {
    quiet: true,
    timeoutMs: 60_000,
    signal,
  });
  // 127: the shell found no such command.
  if (result.exitCode === 127)
    return `no \`appium\` on ${runner.where === "local" ? "PATH" : "the host's PATH"} (npm i -g appium)`;
  if (result.exitCode !== 0)
    return `appium driver list failed: ${(result.stderr || result.stdout).trim().split("\n").pop()}`;
  try {
    return Object.keys(JSON.parse(result.stdout) as Record<string, unknown>);
  } catch {
    return "appium driver list did not answer JSON";
  }
}

/** Installs the drivers `appium_drivers` names that APPIUM_HOME lacks. */
export async function ensureDrivers(
  runner: Runner,
  plan: E2ePlan,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const installed = await installedDrivers(runner, signal);
  if (typeof installed === "string")
    throw new HangarError("E_APPIUM", installed, { hint: "Is Appium 3 installed (npm i -g appium)?" });
  const { file, prefix } = runner.appiumCommand();
  for (const driver of plan.appium.drivers.filter((name) => !installed.includes(name))) {
    log.info(`installing the Appium driver ${driver}`);
    const result = await runner.run(file, [...prefix, "driver", "install", driver], {
      timeoutMs: DRIVER_INSTALL_TIMEOUT_MS,
      signal,
    });
    if (result.exitCode !== 0) {
      throw new HangarError(
        "E_APPIUM_DRIVER",
        `installing the Appium driver ${driver} failed: ${(result.stderr || result.stdout).trim().split("\n").pop()}`,
        {
          hint: "Install it into the image or host beforehand (appium driver install <name>), or fix `appium_drivers`.",
        },
      );
    }
  }
}

/** Starts Appium on a free loopback port, its log in the artifacts; resolves once /status answers. */
export async function startAppium(step: Step, signal: AbortSignal): Promise<string> {
  const { runner, plan, processes, log } = step;
  if (plan.appium.url) {
    await waitForStatus(plan.appium.url, signal, () => undefined);
    log.info(`using the Appium server at ${plan.appium.url}`);
    return plan.appium.url;
  }
  log.section("starting Appium");
  await ensureDrivers(runner, plan, log, signal);
  const port = await runner.freePort();
  const { file, prefix } = runner.appiumCommand();
  const logFile = path.join(plan.artifacts.absolute, "appium.log");
  processes.appium = await runner.start(
    "Appium",
    file,
    [
      ...prefix,
      "server",
      "--address",
      "127.0.0.1",
      "--port",
      String(port),
      "--log-no-colors",
      "--log-timestamp",
    ],
    { logFile, env: { ANDROID_SDK_ROOT: plan.sdk.root, ANDROID_HOME: plan.sdk.root } },
  );
  const forward = await runner.forward(port);
  processes.appiumUrl = forward.url;
  const appium = processes.appium;
  await waitForStatus(forward.url, signal, async () => {
    if (appium.running()) return undefined;
    const output = await runner.tail(logFile, 15);
    return new HangarError("E_APPIUM", `Appium exited before it answered:\n${output}`);
  });
  log.success(`Appium answers at ${forward.url}`);
  return forward.url;
}

async function waitForStatus(
  url: string,
  signal: AbortSignal,
  exited: () => HangarError | undefined | Promise<HangarError | undefined>,
): Promise<void> {
  await pollUntil(
    async (pollSignal) => {
      const error = await exited();
      if (error) throw error;
      try {
        const answer = await fetch(`${url}/status`, {
          signal: AbortSignal.any([pollSignal, AbortSignal.timeout(5_000)]),
        });
        await answer.body?.cancel();
        return answer.ok ? true : { pending: `HTTP ${answer.status}` };
      } catch (cause) {
        return { pending: cause instanceof Error ? cause.message : String(cause) };
      }
    },
    {
      what: `Appium at ${url} to answer /status`,
      timeoutMs: STATUS_TIMEOUT_MS,
      intervalMs: 200,
      maxIntervalMs: 1_000,
      signal,
    },
  );
}
