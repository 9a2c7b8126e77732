import type { PlanContext, SettingsOf } from "@hangar/kit";
import { hostKeySettings, jumpHostSettings, settings as s } from "@hangar/kit";

/**
 * Every setting of emulator-e2e. The emulator's names and defaults follow
 * ReactiveCircus/android-emulator-runner (`api-level`, `target`, `arch`, `profile`,
 * `emulator-options`, `disable-animations`), so a workflow moved from GitHub Actions reads the same.
 */

export const ACTIONS = ["test", "check"] as const;

export const DEFAULT_EMULATOR_OPTIONS = [
  "-no-window",
  "-gpu",
  "swiftshader_indirect",
  "-noaudio",
  "-no-boot-anim",
  "-no-snapshot-save",
];

export const emulatorE2eSettings = {
  action: s.enum(ACTIONS)({
    description:
      "`test` boots the emulator, installs the app and runs the tests; `check` only reports what is missing (KVM, SDK tools, system image, Appium and its drivers) and changes nothing.",
    default: "test",
  }),
  sdk_root: s.string()({
    description:
      "The Android SDK, in the standard layout (`platform-tools/adb`, `emulator/emulator`, `cmdline-tools/latest/bin/{sdkmanager,avdmanager}`).",
    defaultText: "`ANDROID_SDK_ROOT`, then `ANDROID_HOME`, then `/opt/android-sdk`",
    env: ["ANDROID_SDK_ROOT", "ANDROID_HOME"],
  }),
  api_level: s.integer({ min: 21, max: 99 })({
    description: "Android API level of the system image.",
    default: 34,
  }),
  target: s.string()({
    description: "System image target: `default`, `google_apis`, `google_apis_playstore`, `aosp_atd` …",
    default: "google_apis",
  }),
  arch: s.enum(["x86_64", "x86", "arm64-v8a"] as const)({
    description: "System image ABI. `x86_64` needs KVM on the machine that runs the emulator.",
    default: "x86_64",
  }),
  profile: s.string()({
    description: "Hardware profile for a new AVD (`avdmanager list device`).",
    default: "pixel_6",
  }),
  avd: s.string()({
    description: "Name of the AVD to boot.",
    default: "hangar-{{ api_level }}-{{ target }}-{{ arch }}",
    expand: false,
  }),
  create_avd: s.boolean({
    description: "Install the system image (`sdkmanager`) and create the AVD (`avdmanager`) when missing.",
    default: true,
  }),
  emulator_options: s.list()({
    description: "Options for `emulator` after `-avd <name> -port <port>`.",
    default: DEFAULT_EMULATOR_OPTIONS,
    example: "[-no-window, -gpu, swiftshader_indirect, -noaudio, -no-boot-anim, -no-snapshot-save]",
  }),
  emulator_port: s.integer({ min: 5554, max: 5682 })({
    description: "The emulator's console port (even); the device's serial is `emulator-<port>`.",
    default: 5554,
  }),
  boot_timeout: s.duration({ min: 5_000 })({
    description: "Longest wait for the emulator to finish booting (`sys.boot_completed`).",
    default: 600_000,
  }),
  disable_animations: s.boolean({
    description: "Set the three `*_animation_scale` settings to 0 before the tests.",
    default: true,
  }),
  app: s.string()({
    description:
      "The APK: a workspace path or glob matching one file, or an http(s) URL (a Gitea release asset).",
    example: "android/app/build/outputs/apk/release/app-release.apk",
  }),
  app_token: s.secret({
    description: "Token sent as `Authorization: token …` when `app` is a URL (Gitea). Use `from_secret`.",
  }),
  app_package: s.string()({
    description:
      "The app's package name, passed to Appium as `appium:appPackage` and published as the `app_package` output. When not given it is read from the APK, on the machine that runs the emulator, with `aapt2 dump badging` from the newest `build-tools`, else `cmdline-tools/latest/bin/apkanalyzer`.",
    defaultText: "read from the APK",
    example: "com.example.calchat",
  }),
  appium_url: s.string()({
    description: "An Appium server that is already running; no Appium is started then.",
    example: "http://127.0.0.1:4723",
  }),
  appium_drivers: s.list()({
    description:
      "Appium drivers that must be installed; missing ones are installed with `appium driver install`.",
    default: ["uiautomator2"],
  }),
  specs: s.list()({
    description: "WebdriverIO spec files, as workspace globs.",
    example: "[e2e/specs/**/*.ts]",
  }),
  wdio_config: s.string()({
    description:
      "A WebdriverIO config file in the workspace, instead of `specs`. Its specs, hooks and mocha options are kept; the server, capabilities and reporters are the plugin's.",
    example: "e2e/wdio.conf.ts",
  }),
  capabilities: s.string()({
    description:
      "JSON object merged over the default capabilities (`platformName: Android`, `appium:automationName: UiAutomator2`, `appium:udid` the emulator's serial, `appium:app` the APK).",
    example: '{"appium:appActivity": ".MainActivity"}',
  }),
  retries: s.integer({ min: 0, max: 10 })({
    description: "How often a failed spec file is run again.",
    default: 0,
  }),
  artifacts: s.string()({
    description:
      "Workspace folder for the evidence: JUnit, screenshots, Appium log, emulator output, logcat.",
    default: ".hangar/e2e",
  }),
  timeout: s.duration({ min: 10_000 })({
    description:
      "Longest the step may take from boot to the last test; clean-up (Appium stopped, emulator killed) runs after it.",
    default: 1_800_000,
  }),
  // ── host mode: SSH, with compose-deploy's settings and host-key rules ──────────────────────────
  host: s.string()({
    description:
      "Run the emulator, adb and Appium on this machine over one SSH connection (`host` or `host:port`); WebdriverIO stays in the step. Empty: everything runs in the step's container.",
    defaultText: "the `PROXMOX_VM_IP` output of an earlier proxmox-vm step, when present",
  }),
  port: s.integer({ min: 1, max: 65535 })({ description: "SSH port of `host`.", default: 22 }),
  username: s.string()({ description: "SSH user on `host`.", default: "root", aliases: ["user"] }),
  key: s.secret({
    description: "SSH private key for `host` (OpenSSH or PEM), inline. Use `from_secret`.",
    aliases: ["ssh_key"],
  }),
  key_path: s.string()({
    description: "Path of the private key file, absolute or relative to the workspace, instead of `key`.",
    aliases: ["ssh_key_path"],
  }),
  password: s.secret({
    description: "SSH password for `host`, when it allows password login. Prefer `key`.",
  }),
  passphrase: s.secret({ description: "Passphrase of an encrypted `key`." }),
  ...hostKeySettings({
    host: "`host`",
    example: "vm.example.com",
    when: " in host mode",
    risk: "the session, the app and the test run",
  }),
  ...jumpHostSettings,
};

export type EmulatorE2eSchema = typeof emulatorE2eSettings;
export type Settings = SettingsOf<EmulatorE2eSchema>;
export type Context = PlanContext<EmulatorE2eSchema>;
