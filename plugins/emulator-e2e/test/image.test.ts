import { chmod, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createAndroidSdk, run, runDroneStep, type Sshd, testbed, waitUntil } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { appiumBin, fakeDriverSettings, listDir, workspace } from "./helpers.ts";

/**
 * hangar/emulator-e2e:dev run the Drone way (settings as PLUGIN_*, the workspace mounted, uid 1000):
 * the image carries Appium with the UiAutomator2 driver and WebdriverIO, so `check` finds Appium ready
 * in the image and a whole host-mode run works from it: WebdriverIO in the step's container, Appium
 * (with the fake driver) and the stand-in SDK on the "host", this machine over the test bed's sshd.
 */
const IMAGE = "hangar/emulator-e2e:dev";
const image = await testbed.image(IMAGE);

const bin = await appiumBin();
const sshd = image ? await testbed.sshd({ extraConfig: [bin.sshdEnv] }) : undefined;

/** The build's context and the settings, as Drone passes them. */
function stepEnv(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    DRONE_REPO: "calchat/app",
    DRONE_BUILD_NUMBER: "7",
    DRONE_BUILD_EVENT: "push",
    DRONE_BRANCH: "main",
    DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    DRONE_CARD_PATH: "/dev/stdout",
  };
  for (const [key, value] of Object.entries(settings)) env[`PLUGIN_${key.toUpperCase()}`] = value;
  return env;
}

function card(stdout: string): { title: string; status: string; facts: { name: string; value: string }[] } {
  const esc = String.fromCharCode(27);
  const match = new RegExp(`${esc}\\]1338;([A-Za-z0-9+/=]+)${esc}\\]0m`).exec(stdout);
  return JSON.parse(Buffer.from(match?.[1] ?? "", "base64").toString()).data;
}

/** Appium's own port on the host, from the plugin's "forwarding … to …'s 127.0.0.1:<port>" line. */
function remoteAppiumPort(output: string): string {
  const match = /forwarding 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+'s 127\.0\.0\.1:(\d+) over SSH/.exec(output);
  expect(match, output).not.toBeNull();
  return match?.[1] ?? "";
}

async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await run("ps", ["-eo", "pid,args"]);
  return stdout.split("\n").filter((line) => line.includes(text) && !line.includes("ps -eo"));
}

describe.skipIf(!image)("the emulator-e2e image, as uid 1000", () => {
  it("lists the UiAutomator2 driver as installed", async () => {
    const { stdout } = await run("docker", [
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "node",
      IMAGE,
      "-e",
      `const { execFileSync } = require("node:child_process");
       const drivers = execFileSync(process.execPath, ["/opt/hangar/node_modules/appium/index.js", "driver", "list", "--installed", "--json"], { encoding: "utf8" });
       console.log(JSON.stringify({ uid: process.getuid(), home: process.env.APPIUM_HOME, drivers: JSON.parse(drivers) }));`,
    ]);
    const seen = JSON.parse(stdout);
    expect(seen.uid).toBe(1000);
    expect(seen.home).toBe("/opt/hangar/appium");
    expect(Object.keys(seen.drivers)).toEqual(["uiautomator2"]);
    expect(seen.drivers.uiautomator2).toMatchObject({
      automationName: "UiAutomator2",
      installPath: "/opt/hangar/node_modules/appium-uiautomator2-driver",
    });
  });

  it("action: check reports the Appium side ready (the SDK is not in this image)", async () => {
    const ws = await workspace();
    try {
      await chmod(ws.dir, 0o777);
      const result = await runDroneStep({
        image: IMAGE,
        workspace: ws.dir,
        env: stepEnv({ action: "check", specs: "e2e/login.spec.mjs" }),
        timeoutMs: 120_000,
      });
      const output = result.stdout + result.stderr;
      expect(output).toMatch(/✔ Appium drivers: installed: uiautomator2/);
      expect(output).not.toMatch(/E_WDIO_MISSING|no `appium`/);
      const facts = Object.fromEntries(card(result.stdout).facts.map((f) => [f.name, f.value]));
      expect(facts["Appium drivers"]).toBe("✔ installed: uiautomator2");
      // Only the SDK (not in this image, by design) keeps the check from passing.
      expect(facts["SDK tools"]).toMatch(/^✖ missing: /);
      expect(result.exitCode).toBe(1);
    } finally {
      await ws.remove();
    }
  }, 180_000);
});

describe.skipIf(!sshd)("the emulator-e2e image, a test run on a host over SSH, the Drone way", () => {
  const host = sshd as Sshd;
  afterAll(async () => {
    await sshd?.stop();
    await bin.remove();
  });

  async function step(specs: string[], glob: string) {
    const sdk = await createAndroidSdk({ avds: ["hangar-34-google_apis-x86_64"] });
    const ws = await workspace(specs);
    // The image runs as uid 1000 and writes its artifacts into the workspace.
    await chmod(ws.dir, 0o777);
    const result = await runDroneStep({
      image: IMAGE,
      workspace: ws.dir,
      env: stepEnv({
        ...fakeDriverSettings(ws.dir),
        specs: glob,
        sdk_root: sdk.root,
        boot_timeout: "120s",
        host: `${host.host}:${host.port}`,
        username: host.username,
        key: host.privateKey,
        fingerprint: host.hostKeyFingerprint,
      }),
      timeoutMs: 280_000,
    });
    const remove = async () => {
      await ws.remove();
      await sdk.remove();
    };
    return { ...result, output: result.stdout + result.stderr, ws: { dir: ws.dir, remove }, sdk };
  }

  /** The emulator killed, adb's server stopped (it exits just after answering), Appium gone from the host. */
  async function nothingLeftRunning(sdk: Awaited<ReturnType<typeof createAndroidSdk>>, output: string) {
    expect(sdk.transcript().slice(-2)).toEqual(["adb -s emulator-5554 emu kill", "adb kill-server"]);
    await waitUntil("the stand-in SDK's processes to exit", () => sdk.running().length === 0, {
      timeoutMs: 5_000,
    }).catch(() => undefined);
    expect(sdk.running()).toEqual([]);
    expect(await processesMentioning(`--port ${remoteAppiumPort(output)}`)).toEqual([]);
  }

  it("passes with every spec passing: JUnit in the artifacts, the summary and card, nothing left running", async () => {
    const { exitCode, output, stdout, ws, sdk } = await step(["login.spec.mjs"], "e2e/login.spec.mjs");
    try {
      expect(exitCode, output).toBe(0);
      expect(output).toContain("2 passed, 0 failed, 0 skipped");
      expect(card(stdout)).toMatchObject({ status: "success" });
      const artifacts = path.join(ws.dir, ".hangar/e2e");
      expect(await listDir(artifacts)).toEqual(
        expect.arrayContaining(["appium.log", "junit.xml", "wdio.log", "screenshots"]),
      );
      expect(await readFile(path.join(artifacts, "junit.xml"), "utf8")).toContain(
        'name="shows the login button"',
      );
      expect(await listDir(path.join(artifacts, "screenshots"))).toEqual([]);
      await nothingLeftRunning(sdk, output);
    } finally {
      await ws.remove();
    }
  }, 300_000);

  it("fails with a failing spec: exit 1, its name in the summary and card, JUnit and its screenshot", async () => {
    const { exitCode, output, stdout, ws, sdk } = await step(
      ["login.spec.mjs", "chat.spec.mjs"],
      "e2e/*.spec.mjs",
    );
    try {
      expect(exitCode, output).toBe(1);
      expect(output).toMatch(/2 passed, 1 failed, 1 skipped; failed: .*shows the send button/);
      const shown = card(stdout);
      expect(shown.status).toBe("failure");
      expect(JSON.stringify(shown)).toContain("shows the send button");
      const artifacts = path.join(ws.dir, ".hangar/e2e");
      const junit = await readFile(path.join(artifacts, "junit.xml"), "utf8");
      expect(junit).toContain('name="shows the send button"');
      expect(junit).toMatch(/<failure/);
      const shots = await readdir(path.join(artifacts, "screenshots"));
      expect(shots).toHaveLength(1);
      expect(shots[0]).toMatch(/^chat_shows_the_send_button-\d+\.png$/);
      const png = await readFile(path.join(artifacts, "screenshots", shots[0] as string));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      await nothingLeftRunning(sdk, output);
    } finally {
      await ws.remove();
    }
  }, 300_000);
});
