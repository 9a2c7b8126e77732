import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CapturedRun, runPlugin } from "@hangar/kit";
import { writeStandinApk } from "@hangar/testbed";
import { emulatorE2e } from "../src/plugin.ts";

export const PLUGIN_DIR = path.resolve(import.meta.dirname, "..");
export const FIXTURES = path.join(import.meta.dirname, "fixtures");
/** The package in the workspace's APK (a stand-in APK: a zip the stand-in aapt2 reads). */
export const APP_PACKAGE = "com.example.calchat";

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
  for (const spec of specs) await cp(path.join(FIXTURES, spec), path.join(dir, "e2e", spec));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Run extends CapturedRun {
  outputs: Record<string, string>;
}

/** The plugin in this process, as a step runs it; `signal` stands for the runner's SIGTERM. */
export async function runStep(
  env: Record<string, string>,
  dir: string,
  options: { signal?: AbortSignal; cancelGraceMs?: number } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runPlugin(emulatorE2e, {
    env,
    argv: [],
    cwd: dir,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.cancelGraceMs ? { cancelGraceMs: options.cancelGraceMs } : {}),
  });
  const outputs = JSON.parse(
    await readFile(path.join(dir, ".hangar", "outputs.json"), "utf8").catch(() => "{}"),
  ) as Record<string, string>;
  return { code, stdout, stderr, output: stdout + stderr, outputs };
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
