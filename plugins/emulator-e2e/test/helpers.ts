import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import {
  type AndroidScenario,
  type AndroidSdk,
  createAndroidSdk,
  readStepOutputs,
  type Sshd,
  writeStandinApk,
} from "@hangar/testbed";
import { afterEach, expect } from "vitest";
import { emulatorE2e } from "../src/plugin.ts";

export const PLUGIN_DIR = path.resolve(import.meta.dirname, "..");
export const FIXTURES = path.join(import.meta.dirname, "fixtures");
/** The example's login spec is the one the tests run: what the docs show is what is tested. */
const EXAMPLE_SPEC = path.resolve(PLUGIN_DIR, "../../examples/calchat/e2e/specs/login.spec.mjs");
/** The package in the workspace's APK (a stand-in APK: a zip the stand-in aapt2 reads). */
export const APP_PACKAGE = "com.example.calchat";
/** The AVD and emulator the defaults make. */
export const AVD = "hangar-34-google_apis-x86_64";
export const SERIAL = "emulator-5554";
/** What the step asks adb, in order, from the device's arrival to a booted device ready for the app. */
export const DEVICE_READY = [
  `adb -s ${SERIAL} wait-for-device`,
  `adb -s ${SERIAL} shell getprop sys.boot_completed`,
  `adb -s ${SERIAL} shell getprop init.svc.bootanim`,
  `adb -s ${SERIAL} shell input keyevent 82`,
  `adb -s ${SERIAL} shell settings put global window_animation_scale 0`,
  `adb -s ${SERIAL} shell settings put global transition_animation_scale 0`,
  `adb -s ${SERIAL} shell settings put global animator_duration_scale 0`,
];
/** A boot of one poll, for runs about what happens after it. */
export const QUICK: AndroidScenario = { avds: [AVD], bootPolls: 0, offlinePolls: 0 };

/** Appium finds its drivers (the fake driver, a devDependency) in the plugin's package. */
export function baseEnv(sdkRoot: string, settings: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/root",
    APPIUM_HOME: PLUGIN_DIR,
    DRONE: "true",
    DRONE_REPO: "calchat/app",
    DRONE_BUILD_NUMBER: "7",
    DRONE_BRANCH: "main",
    DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    PLUGIN_SDK_ROOT: sdkRoot,
    PLUGIN_BOOT_TIMEOUT: "120s",
  };
  for (const [key, value] of Object.entries(settings)) env[`PLUGIN_${key.toUpperCase()}`] = value;
  return env;
}

/** Settings that run the fake driver's app instead of an APK on UiAutomator2. */
export function fakeDriverSettings(workspace: string): Record<string, string> {
  return {
    app: "build/app-release.apk",
    appium_drivers: "fake",
    capabilities: JSON.stringify({
      platformName: "Fake",
      "appium:automationName": "Fake",
      "appium:app": path.join(workspace, "e2e", "calchat.xml"),
    }),
  };
}

export async function workspace(
  specs: string[] = ["login.spec.mjs"],
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "emulator-e2e-"));
  await mkdir(path.join(dir, "build"), { recursive: true });
  await mkdir(path.join(dir, "e2e"), { recursive: true });
  await writeStandinApk(path.join(dir, "build", "app-release.apk"), {
    package: APP_PACKAGE,
    versionCode: 7,
    versionName: "1.2.0",
  });
  await cp(path.join(FIXTURES, "calchat.xml"), path.join(dir, "e2e", "calchat.xml"));
  for (const spec of specs) {
    const source = spec === "login.spec.mjs" ? EXAMPLE_SPEC : path.join(FIXTURES, spec);
    await cp(source, path.join(dir, "e2e", spec));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Run extends CapturedRun {
  outputs: Record<string, string>;
}

/** The plugin in this process, as a step runs it; `signal` stands for the runner's SIGTERM. */
export async function runStep(
  env: Record<string, string>,
  dir: string,
  cancel: { signal?: AbortSignal; cancelGraceMs?: number } = {},
): Promise<Run> {
  const run = await runCaptured(emulatorE2e, env, dir, cancel);
  return { ...run, outputs: await readStepOutputs(dir) };
}

/** The step with exactly `settings` (no fake driver, no spec) on the stand-in `sdk`, in `ws`. */
export const runWith = (
  { sdk, ws }: { sdk: AndroidSdk; ws: { dir: string } },
  settings: Record<string, string>,
): Promise<Run> => runStep(baseEnv(sdk.root, settings), ws.dir);

/**
 * The step, cancelled (the runner's SIGTERM) as soon as `when` holds, looked at every 100 ms;
 * `cancelledAt` is 0 when it never did.
 */
export async function runCancelledWhen(
  env: Record<string, string>,
  dir: string,
  when: () => boolean,
  cancelGraceMs = 10_000,
): Promise<Run & { cancelledAt: number }> {
  const cancel = new AbortController();
  let cancelledAt = 0;
  const watch = setInterval(() => {
    if (!when()) return;
    clearInterval(watch);
    cancelledAt = Date.now();
    cancel.abort(new Error("the step was cancelled"));
  }, 100);
  try {
    const run = await runStep(env, dir, { signal: cancel.signal, cancelGraceMs });
    return { ...run, cancelledAt };
  } finally {
    clearInterval(watch);
  }
}

/**
 * A stand-in SDK and a workspace for each test, removed after it with what the test hands to
 * `later`. `setUp` gives the settings that run the workspace's login spec on the fake driver.
 */
export function perTestRun() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return {
    later(cleanup: () => Promise<void>) {
      cleanups.push(cleanup);
    },
    async setUp(scenario: AndroidScenario, settings: Record<string, string> = {}, specs?: string[]) {
      const sdk = await createAndroidSdk(scenario);
      const ws = await workspace(specs);
      cleanups.push(sdk.remove, ws.remove);
      const env = baseEnv(sdk.root, {
        ...fakeDriverSettings(ws.dir),
        specs: "e2e/login.spec.mjs",
        ...settings,
      });
      return { sdk, ws, env };
    },
  };
}

/** Settings that log in to the test bed's `host` with its key, pinned by fingerprint unless `pinned` is false. */
export function hostSettings(host: Sshd, pinned = true): Record<string, string> {
  return {
    host: `${host.host}:${host.port}`,
    username: host.username,
    key: host.privateKey,
    ...(pinned ? { fingerprint: host.hostKeyFingerprint } : {}),
  };
}

/** Logins the sshd accepted so far (its VERBOSE log has one line per login). */
export const logins = (server: Sshd) => server.logs().match(/Accepted publickey for /g)?.length ?? 0;

/** The step's work directory on the host (over SSH), as the log names it. */
export function hostWorkDir(output: string): string {
  const match = /work directory on 127\.0\.0\.1:\d+: (\S+)/.exec(output);
  if (!match?.[1]) throw new Error(`no work directory in:\n${output}`);
  return match[1];
}

/** For runCancelledWhen: the step has begun to ask whether the emulator has booted. */
export const bootPolled = (sdk: AndroidSdk) => () =>
  sdk.transcript().some((call) => call.endsWith("getprop sys.boot_completed"));

/** The emulator was killed, then the adb server, and nothing the step started runs. */
export function expectEmulatorStopped(sdk: AndroidSdk): void {
  expect(sdk.transcript().slice(-2)).toEqual([`adb -s ${SERIAL} emu kill`, "adb kill-server"]);
  expect(sdk.running()).toEqual([]);
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/**
 * A folder with `appium` and `node` for a host's PATH, as on a prepared VM: an sshd given
 * `SetEnv PATH=<dir>:…` lets the SSH user start this checkout's Appium (with the fake driver).
 */
export async function appiumBin(): Promise<{ dir: string; sshdEnv: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "emulator-e2e-host-bin-"));
  const appiumMain = path.join(
    path.dirname(fileURLToPath(import.meta.resolve("appium/package.json"))),
    "index.js",
  );
  await writeFile(path.join(dir, "appium"), `#!/bin/sh\nexec '${process.execPath}' '${appiumMain}' "$@"\n`);
  await writeFile(path.join(dir, "node"), `#!/bin/sh\nexec '${process.execPath}' "$@"\n`);
  await chmod(path.join(dir, "appium"), 0o755);
  await chmod(path.join(dir, "node"), 0o755);
  return {
    dir,
    sshdEnv: `SetEnv PATH=${dir}:/usr/local/bin:/usr/bin:/bin APPIUM_HOME=${PLUGIN_DIR}`,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The session id the stand-in Appium below hands out. */
export const SESSION = "4e2f1c9a-0b7d-4c55-9e31-6a8d2f0c7b15";

/**
 * An Appium server the step did not start (`appium_url`), on loopback: it opens one session and
 * records every request, so that what the step sent it after a cancel can be read.
 */
export function externalAppium() {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on("end", () => {
      requests.push(`${request.method} ${request.url}`);
      const answer = (value: unknown) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ value }));
      };
      if (request.url === "/status") return answer({ ready: true, message: "ready" });
      if (request.method === "POST" && request.url === "/session") {
        return answer({ sessionId: SESSION, capabilities: { platformName: "Fake" } });
      }
      return answer(null);
    });
  });
  return {
    requests,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
