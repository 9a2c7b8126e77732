import path from "node:path";
import { checkSshSettings, type SettingProblem } from "@hangar/kit";
import { describeHost, type HostTarget } from "./host-target.ts";
import type { Context, Settings } from "./settings.ts";
import { type SdkTools, sdkTools } from "./tools/sdk-paths.ts";

export type AppSource =
  | { kind: "file"; relative: string }
  | { kind: "url"; url: string; token: string | undefined };

/** What one run does, decided from the settings alone: what `dry_run` prints. */
export interface E2ePlan {
  action: "test" | "check";
  workspace: string;
  sdk: SdkTools;
  avd: { name: string; create: boolean; systemImage: string; profile: string; abi: string };
  emulator: { port: number; serial: string; options: string[]; bootTimeoutMs: number };
  disableAnimations: boolean;
  app: AppSource | undefined;
  /** Given (`app_package`, or `appium:appPackage` in `capabilities`); undefined: read from the APK. */
  appPackage: string | undefined;
  appPackageFrom: "app_package" | "capabilities" | undefined;
  /**
   * Appium's driver reads the package itself with the same SDK tools when it is not given
   * (UiAutomator2, Espresso), so a machine without them cannot run the tests either.
   */
  packageNeeded: boolean;
  appium: { url: string | undefined; drivers: string[] };
  wdio: { specs: string[]; config: string | undefined };
  /** Given by the user, merged over the defaults once the serial and the APK are known. */
  capabilities: Record<string, unknown>;
  retries: number;
  artifacts: { relative: string; absolute: string };
  timeoutMs: number;
  /** Host mode: the emulator, adb and Appium run there over SSH. */
  ssh?: HostTarget | undefined;
}

const AVD_NAME = /^[A-Za-z0-9._-]+$/;
/** Android's rule for an app's package name (`com.example.app`): two parts at least. */
export const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/** `{{ api_level }}`, `{{ target }}`, `{{ arch }}` in the AVD's name. */
export function avdName(template: string, settings: Pick<Settings, "api_level" | "target" | "arch">): string {
  return template.replace(
    /\{\{\s*(api_level|target|arch)\s*\}\}/g,
    (_, key: "api_level" | "target" | "arch") => String(settings[key]),
  );
}

export function parseCapabilities(raw: string | undefined): Record<string, unknown> | string {
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'must be a JSON object, e.g. {"appium:appActivity": ".MainActivity"}';
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "must be a JSON object";
  return parsed as Record<string, unknown>;
}

function appSource(app: string, token: string | undefined): AppSource {
  return /^https?:\/\//i.test(app) ? { kind: "url", url: app, token } : { kind: "file", relative: app };
}

/** The host the Android side runs on: the setting, else an earlier proxmox-vm step's VM. */
export async function resolveHost(
  settings: Partial<Settings>,
  context: Context,
): Promise<string | undefined> {
  if (settings.host !== undefined && settings.host !== "") return settings.host;
  // The kit read these once and only from this build's earlier steps: never a committed file.
  const ip = context.outputs.PROXMOX_VM_IP;
  return ip === undefined || ip === "" ? undefined : ip;
}

/** Problems that span settings, reported with the parsing problems, before anything runs. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const problems: SettingProblem[] = [];
  const { problem } = context;
  const host = await resolveHost(settings, context);
  // Host mode: compose-deploy's SSH settings and host-key rules, checked before any connection.
  if (host !== undefined) {
    problems.push(...(await checkSshSettings(settings, [host], context.build.workspace, problem)));
  }
  if (settings.emulator_port !== undefined && settings.emulator_port % 2 !== 0) {
    problems.push(
      problem(
        "emulator_port",
        "E_EMULATOR_PORT",
        "must be even (the console port; adb uses the next one)",
        String(settings.emulator_port),
      ),
    );
  }
  if (settings.avd !== undefined && settings.api_level !== undefined && settings.target && settings.arch) {
    const name = avdName(settings.avd, settings as Settings);
    if (!AVD_NAME.test(name)) {
      problems.push(
        problem("avd", "E_AVD_NAME", "may hold only letters, digits, dot, underscore and dash", name),
      );
    }
  }
  if (typeof parseCapabilities(settings.capabilities) === "string") {
    problems.push(
      problem(
        "capabilities",
        "E_CAPABILITIES",
        parseCapabilities(settings.capabilities) as string,
        settings.capabilities,
      ),
    );
  }
  if (settings.app_package !== undefined && !PACKAGE_NAME.test(settings.app_package)) {
    problems.push(
      problem(
        "app_package",
        "E_APP_PACKAGE",
        "must be a package name: two or more dot-separated parts of letters, digits and underscores, each starting with a letter",
        settings.app_package,
      ),
    );
  }
  if (settings.appium_url !== undefined && !isHttpUrl(settings.appium_url)) {
    problems.push(
      problem("appium_url", "E_APPIUM_URL", "must be an http:// or https:// URL", settings.appium_url),
    );
  }
  if (settings.artifacts !== undefined) {
    const inside = path.relative(
      context.build.workspace,
      path.resolve(context.build.workspace, settings.artifacts),
    );
    if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) {
      problems.push(
        problem("artifacts", "E_ARTIFACTS", "must be a folder inside the workspace", settings.artifacts),
      );
    }
  }
  if (settings.action === "check") return problems;

  if (settings.app === undefined) {
    problems.push(
      problem("app", "E_SETTING_REQUIRED", "the APK to test is required: a workspace path or an http(s) URL"),
    );
  } else {
    problems.push(...checkApp(settings.app, settings.app_token, context));
  }
  if (settings.specs === undefined && settings.wdio_config === undefined) {
    problems.push(
      problem(
        "specs",
        "E_SETTING_REQUIRED",
        "give the spec files (or `wdio_config`, a WebdriverIO config file)",
      ),
    );
  }
  if (settings.specs !== undefined && settings.wdio_config !== undefined) {
    problems.push(problem("specs", "E_SPECS_AND_CONFIG", "give either `specs` or `wdio_config`, not both"));
  }
  return problems;
}

function checkApp(app: string, token: string | undefined, context: Context): SettingProblem[] {
  const { problem } = context;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(app) && !isHttpUrl(app)) {
    return [problem("app", "E_APP_URL", "must be a workspace path or an http:// or https:// URL", app)];
  }
  if (!isHttpUrl(app)) {
    return token === undefined
      ? []
      : [problem("app_token", "E_APP_TOKEN", "is only sent when `app` is a URL; remove it or give a URL")];
  }
  const url = new URL(app);
  if (url.username || url.password) {
    return [
      problem(
        "app",
        "E_APP_URL",
        "must not hold credentials; give the token as `app_token`",
        `${url.origin}${url.pathname}`,
      ),
    ];
  }
  if (token !== undefined && url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    return [
      problem(
        "app",
        "E_APP_URL",
        "must be https:// when `app_token` is given (it would travel in the clear)",
        app,
      ),
    ];
  }
  return [];
}

function isHttpUrl(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Drivers that read a missing `appPackage` from `appium:app` with appium-adb (aapt2). */
const ADB_DRIVERS = /^(uiautomator2|espresso)$/i;

function appPackage(
  settings: Settings,
  capabilities: Record<string, unknown>,
): Pick<E2ePlan, "appPackage" | "appPackageFrom" | "packageNeeded"> {
  const automation = capabilities["appium:automationName"] ?? capabilities.automationName ?? "UiAutomator2";
  const packageNeeded = typeof automation === "string" && ADB_DRIVERS.test(automation);
  const fromCapabilities = capabilities["appium:appPackage"] ?? capabilities.appPackage;
  if (settings.app_package !== undefined && settings.app_package !== "") {
    return { appPackage: settings.app_package, appPackageFrom: "app_package", packageNeeded };
  }
  if (typeof fromCapabilities === "string" && fromCapabilities !== "") {
    return { appPackage: fromCapabilities, appPackageFrom: "capabilities", packageNeeded };
  }
  return { appPackage: undefined, appPackageFrom: undefined, packageNeeded };
}

export function planRun(settings: Settings, context: Context): E2ePlan {
  const workspace = context.build.workspace;
  const name = avdName(settings.avd, settings);
  const capabilities = parseCapabilities(settings.capabilities) as Record<string, unknown>;
  return {
    action: settings.action,
    workspace,
    sdk: sdkTools(settings.sdk_root ?? "/opt/android-sdk"),
    avd: {
      name,
      create: settings.create_avd,
      systemImage: `system-images;android-${settings.api_level};${settings.target};${settings.arch}`,
      profile: settings.profile,
      abi: `${settings.target}/${settings.arch}`,
    },
    emulator: {
      port: settings.emulator_port,
      serial: `emulator-${settings.emulator_port}`,
      options: settings.emulator_options,
      bootTimeoutMs: settings.boot_timeout,
    },
    disableAnimations: settings.disable_animations,
    app: settings.app === undefined ? undefined : appSource(settings.app, settings.app_token),
    ...appPackage(settings, capabilities),
    appium: { url: settings.appium_url?.replace(/\/+$/, ""), drivers: settings.appium_drivers },
    wdio: { specs: settings.specs ?? [], config: settings.wdio_config },
    capabilities,
    retries: settings.retries,
    artifacts: { relative: settings.artifacts, absolute: path.resolve(workspace, settings.artifacts) },
    timeoutMs: settings.timeout,
  };
}

export function describePlan(plan: E2ePlan): string {
  const lines = [
    `action: ${plan.action}, ${describeHost(plan.ssh)}`,
    `SDK: ${plan.sdk.root}`,
    `AVD ${plan.avd.name} (${plan.avd.systemImage}, ${plan.avd.profile})${plan.avd.create ? ", created when missing" : ""}`,
    `emulator ${plan.emulator.serial}: emulator -avd ${plan.avd.name} -port ${plan.emulator.port} ${plan.emulator.options.join(" ")}`,
    `boot within ${Math.round(plan.emulator.bootTimeoutMs / 1000)}s, then unlock${plan.disableAnimations ? ", animations off" : ""}`,
  ];
  if (plan.action === "check") return lines.join("\n");
  const app =
    plan.app?.kind === "url"
      ? `${redactUrl(plan.app.url)}${plan.app.token ? " (with app_token)" : ""}`
      : plan.app?.relative;
  lines.push(
    `install ${app}; its package ${plan.appPackage ? `${plan.appPackage} (from ${plan.appPackageFrom})` : "read from the APK (aapt2 dump badging, else apkanalyzer)"}`,
    plan.appium.url
      ? `Appium at ${plan.appium.url}`
      : `start Appium with drivers ${plan.appium.drivers.join(", ")}`,
    plan.wdio.config
      ? `WebdriverIO with ${plan.wdio.config}`
      : `WebdriverIO specs ${plan.wdio.specs.join(", ")}`,
    `retries ${plan.retries}; evidence in ${plan.artifacts.relative}; everything within ${Math.round(plan.timeoutMs / 1000)}s`,
  );
  return lines.join("\n");
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
