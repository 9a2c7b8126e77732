import { secretLeaks, writeStepOutputs } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { AVD, perTestRun, runStep, runWith } from "./helpers.ts";

const TOKEN = "gitea-app-token-7c1e9a44d2";

describe("settings", { timeout: 120_000 }, () => {
  const bed = perTestRun();
  const setUp = (settings: Record<string, string> = {}) => bed.setUp({ avds: [AVD] }, settings);

  it("lists every bad setting at once and starts nothing", async () => {
    const { sdk, ws } = await setUp();
    const run = await runWith(
      { sdk, ws },
      {
        api_level: "thirty-four",
        emulator_port: "5555",
        boot_timeout: "soon",
        capabilities: "[1,2]",
        appium_url: "ftp://appium",
        artifacts: "../outside",
        app_token: TOKEN,
        app: "http://git.example.com/calchat/app/releases/download/v1/app.apk",
      },
    );
    expect(run.code).toBe(2);
    for (const setting of [
      "api_level",
      "emulator_port",
      "boot_timeout",
      "capabilities",
      "appium_url",
      "artifacts",
      "app",
      "specs",
    ]) {
      expect(run.output).toContain(`  - ${setting}:`);
    }
    expect(run.output).toContain("must be https:// when `app_token` is given");
    expect(sdk.transcript()).toEqual([]);
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
  });

  it("dry run prints the plan and touches nothing", async () => {
    const { sdk, ws } = await setUp();
    const run = await runWith(
      { sdk, ws },
      {
        dry_run: "true",
        app: "https://git.example.com/calchat/app/releases/download/v1/app.apk",
        app_token: TOKEN,
        wdio_config: "e2e/wdio.conf.ts",
      },
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("dry run");
    expect(run.output).toContain(
      "AVD hangar-34-google_apis-x86_64 (system-images;android-34;google_apis;x86_64, pixel_6)",
    );
    expect(run.output).toContain("emulator -avd hangar-34-google_apis-x86_64 -port 5554 -no-window");
    expect(run.output).toContain(
      "install https://git.example.com/calchat/app/releases/download/v1/app.apk (with app_token)",
    );
    expect(sdk.transcript()).toEqual([]);
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
  });

  it("an earlier proxmox-vm step's VM makes host mode, whose SSH settings are checked before anything runs", async () => {
    const { sdk, ws, env } = await setUp();
    await writeStepOutputs(ws.dir, env, { PROXMOX_VM_IP: "10.20.0.15" });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(2);
    expect(run.output).toContain("key: is required: give `key`, `key_path` or `password`");
    expect(run.output).toContain("fingerprint: is required to verify the host");
    expect(sdk.transcript()).toEqual([]);
  });

  it("the app's token never reaches the log, the outputs or the artifacts when the download fails", async () => {
    const { createServer } = await import("node:http");
    let seen = "";
    const server = createServer((request, response) => {
      seen = request.headers.authorization ?? "";
      response
        .writeHead(404, { "content-type": "text/plain" })
        .end(`no asset for ${request.headers.authorization}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    bed.later(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const { sdk, ws, env } = await setUp({ app: `http://127.0.0.1:${port}/app.apk`, app_token: TOKEN });
    const run = await runStep(env, ws.dir);
    expect(seen).toBe(`token ${TOKEN}`);
    expect(run.code).toBe(1);
    expect(run.output).toContain("answered HTTP 404");
    expect(secretLeaks(run.output, TOKEN)).toEqual([]);
    expect(sdk.transcript().some((call) => call.startsWith("emulator -avd"))).toBe(false);
  });

  it("check reports what is ready and what is not, changing nothing", async () => {
    const { sdk, ws } = await bed.setUp({ kvm: false });
    const run = await runWith({ sdk, ws }, { action: "check", appium_drivers: "fake,uiautomator2" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("SDK tools: present in");
    expect(run.output).toContain("KVM: 8 /dev/kvm is not found");
    expect(run.output).toContain("created from system-images;android-34;google_apis;x86_64 on the first run");
    expect(run.output).toContain("uiautomator2 not installed yet");
    expect(run.output).toContain("check: KVM not ready");
    expect(sdk.transcript()).toEqual(["emulator -accel-check", "emulator -list-avds"]);
  });
});
