// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are settings as users write them
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type AndroidScenario, type Sshd, secretLeaks, testbed, writeStepOutputs } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import {
  AVD,
  bootPolled,
  DEVICE_READY,
  expectEmulatorStopped,
  hostSettings,
  hostWorkDir,
  listDir,
  logins,
  perTestRun,
  runCancelledWhen,
  runStep,
  SERIAL,
} from "./helpers.ts";

const sshd = await testbed.sshd();
const stranger = sshd ? await testbed.sshd() : undefined;

/**
 * Host mode: the emulator, adb and Appium run on a host over one SSH connection. The host is this
 * machine, reached through the test bed's sshd on loopback with the host key pinned; its SDK is
 * the stand-in SDK. What is asserted: what ran there and in which order, that the APK went over
 * SFTP, that the logs came back into the artifacts, and that nothing is left running or lying
 * around on the host.
 */
describe.skipIf(!stranger)("host mode over SSH", { timeout: 180_000 }, () => {
  const host = sshd as Sshd;
  const other = stranger as Sshd;
  const bed = perTestRun();
  afterAll(async () => {
    await Promise.all([sshd?.stop(), stranger?.stop()]);
  });
  const setUp = (scenario: AndroidScenario, settings: Record<string, string> = {}) =>
    bed.setUp(scenario, { ...hostSettings(host), ...settings });

  it("boots on the host, installs the APK it received over SFTP, brings the logs back and leaves nothing behind", async () => {
    const before = { logins: logins(host) };
    const { sdk, ws, env } = await setUp({
      offlinePolls: 1,
      bootPolls: 2,
      avds: [AVD],
      installFailure: "INSTALL_FAILED_OLDER_SDK",
    });
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`connected to ${host.username}@127.0.0.1:${host.port}`);
    expect(run.output).toContain("verified by fingerprint");
    expect(run.output).toMatch(
      /uploaded app-release\.apk to 127\.0\.0\.1:\d+:\/.*\/hangar-e2e\.\w+\/app\.apk over SFTP/,
    );
    expect(run.output).toContain("installing the app failed: adb: failed to install");
    // One login for everything: commands, processes, SFTP.
    expect(logins(host) - before.logins).toBe(1);
    expect(host.logs()).toMatch(/Starting session: subsystem 'sftp'/);

    const all = sdk.transcript();
    const install = all.find((call) => call.includes(" install -r -t "));
    expect(install).toMatch(new RegExp(`^adb -s ${SERIAL} install -r -t /.*/hangar-e2e\\.\\w+/app\\.apk$`));
    const distinct = all
      .filter((call) => !call.includes("logcat") && !call.startsWith("emulator -avd"))
      .filter((call, index, calls) => call !== calls[index - 1]);
    expect(distinct).toEqual([
      "emulator -accel-check",
      "emulator -list-avds",
      ...DEVICE_READY,
      expect.stringMatching(/^aapt2 dump badging \/.*\/hangar-e2e\.\w+\/app\.apk$/),
      install,
      `adb -s ${SERIAL} emu kill`,
      "adb kill-server",
    ]);
    expect(sdk.running()).toEqual([]);

    const artifacts = path.join(ws.dir, ".hangar", "e2e");
    expect(await listDir(artifacts)).toEqual(expect.arrayContaining(["emulator.log", "logcat.txt"]));
    expect(await readFile(path.join(artifacts, "emulator.log"), "utf8")).toContain("Booting the guest");
    expect(existsSync(hostWorkDir(run.output))).toBe(false);
    expect(secretLeaks(run.output, host.privateKey)).toEqual([]);
  });

  it("a cancel during the boot kills the emulator and logcat on the host within the grace period", async () => {
    const { sdk, ws, env } = await setUp({ neverBoots: true, avds: [AVD] });
    const run = await runCancelledWhen(env, ws.dir, bootPolled(sdk));
    expect(run.code).toBe(1);
    expect(run.output).toContain("cleaning up");
    expectEmulatorStopped(sdk);
    // Within the grace period, and a little for the logs fetched back.
    expect(Date.now() - run.cancelledAt).toBeLessThan(15_000);
  });

  it("the SSH connection's end kills what the step started on the host, even without clean-up", async () => {
    // The grace period runs out at once: clean-up is cut short, the connection closes.
    const { sdk, ws, env } = await setUp({ neverBoots: true, ignoreFirstKill: true, avds: [AVD] });
    const run = await runCancelledWhen(env, ws.dir, bootPolled(sdk), 1);
    bed.later(() => rm(hostWorkDir(run.output), { recursive: true, force: true }));
    // The emulator and logcat went with their channels; the adb server is a daemon of its own.
    for (let i = 0; i < 50 && sdk.running().some((entry) => entry.name !== "adb server"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sdk.running().filter((entry) => entry.name !== "adb server")).toEqual([]);
  });

  it("refuses a host whose key is not the pinned one, before anything runs there", async () => {
    const before = logins(host);
    const { sdk, ws, env } = await setUp({ avds: [AVD] }, { fingerprint: other.hostKeyFingerprint });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`refused to log in to 127.0.0.1:${host.port}: its host key ssh-ed25519`);
    expect(run.output).toContain(`is not the expected ${other.hostKeyFingerprint}`);
    expect(run.output).toContain("[E_HOST_KEY]");
    expect(logins(host)).toBe(before);
    expect(sdk.transcript()).toEqual([]);
  });

  it("takes the host from an earlier proxmox-vm step's PROXMOX_VM_IP and checks it over SSH", async () => {
    const { sdk, ws, env } = await setUp({ kvm: false }, { action: "check", appium_drivers: "uiautomator2" });
    await writeStepOutputs(ws.dir, env, { PROXMOX_VM_IP: "127.0.0.1" });
    const { PLUGIN_HOST: _, ...withoutHost } = env;
    const before = logins(host);
    const run = await runStep({ ...withoutHost, PLUGIN_PORT: String(host.port) }, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`connected to ${host.username}@127.0.0.1:${host.port}`);
    expect(logins(host) - before).toBe(1);
    expect(run.output).toContain("SDK tools: present in");
    expect(run.output).toContain("KVM: 8 /dev/kvm is not found");
    expect(run.output).toContain("host tools: setsid, tail, mktemp");
    // The test bed's sshd gives its user no Appium on PATH, as a fresh VM would.
    expect(run.output).toContain("Appium: no `appium` on the host's PATH (npm i -g appium)");
    expect(sdk.transcript()).toEqual(["emulator -accel-check", "emulator -list-avds"]);
  });

  it("a committed .hangar/outputs.json steers no login: its host and fingerprint are ignored", async () => {
    const { sdk, ws, env } = await setUp({ kvm: false }, { action: "check", appium_drivers: "uiautomator2" });
    // What a repository (a fork's pull request) can commit: its own host, with that host's key.
    await mkdir(path.join(ws.dir, ".hangar"), { recursive: true });
    await writeFile(
      path.join(ws.dir, ".hangar", "outputs.json"),
      JSON.stringify({
        HANGAR_OUTPUTS_BUILD: "calchat/app#7@0123456789abcdef0123456789abcdef01234567",
        PROXMOX_VM_IP: "127.0.0.1",
        PROXMOX_VM_HOST_KEY_FINGERPRINT: other.hostKeyFingerprint,
      }),
    );
    const before = { host: logins(host), other: logins(other) };
    const run = await runStep(
      {
        ...env,
        PLUGIN_HOST: "${PROXMOX_VM_IP}",
        PLUGIN_PORT: String(other.port),
        PLUGIN_FINGERPRINT: "${PROXMOX_VM_HOST_KEY_FINGERPRINT}",
        PLUGIN_KEY: other.privateKey,
        // The real build is another commit than the one the file names.
        DRONE_COMMIT_SHA: "fedcba9876543210fedcba9876543210fedcba98",
      },
      ws.dir,
    );
    expect(run.code).toBe(2);
    expect(run.output).toContain(".hangar/outputs.json is ignored: no step of this build wrote it");
    expect(run.output).toContain("${PROXMOX_VM_IP} is not expanded: no earlier step of this build wrote it");
    expect(logins(other)).toBe(before.other);
    expect(logins(host)).toBe(before.host);
    expect(sdk.transcript()).toEqual([]);
  });

  it("dry run names the host from PROXMOX_VM_IP and connects nowhere", async () => {
    const { sdk, ws, env } = await setUp({});
    await writeStepOutputs(ws.dir, env, { PROXMOX_VM_IP: "127.0.0.1" });
    const { PLUGIN_HOST: _, ...withoutHost } = env;
    const before = logins(host);
    const run = await runStep(
      { ...withoutHost, PLUGIN_PORT: String(host.port), PLUGIN_DRY_RUN: "true" },
      ws.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      `on ${host.username}@127.0.0.1:${host.port} (PROXMOX_VM_IP) over SSH (host key ${host.hostKeyFingerprint})`,
    );
    expect(logins(host)).toBe(before);
    expect(sdk.transcript()).toEqual([]);
    expect(existsSync(path.join(ws.dir, ".hangar", "e2e"))).toBe(false);
  });
});
