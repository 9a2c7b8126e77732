import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Sshd, secretLeaks, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import {
  APP_PACKAGE,
  appiumBin,
  expectEmulatorStopped,
  hostSettings,
  logins,
  perTestRun,
  QUICK,
  runStep,
} from "./helpers.ts";

/**
 * Host mode through a jump host (`proxy_*`, the kit's settings, as compose-deploy has them): the
 * step logs in to the jump host, opens one direct-tcpip channel there to the host's sshd, and logs
 * in to the host over it; commands, the APK's upload (SFTP) and Appium's port forward all ride on
 * that second connection. Both are the test bed's real sshd on loopback: the jump host logs its
 * channels (LogLevel DEBUG1), the host runs Appium with the fake driver and the stand-in SDK.
 */
const bin = await appiumBin();
const host = await testbed.sshd({ extraConfig: [bin.sshdEnv] });
const jump = host ? await testbed.sshd({ extraConfig: ["LogLevel DEBUG1"] }) : undefined;

/** The channels the jump host opened on the step's behalf, to 127.0.0.1:<port>. */
const tunnels = (server: Sshd, port: number) =>
  server.logs().match(new RegExp(`direct_tcpip: originator .*, target 127\\.0\\.0\\.1 port ${port}\\b`, "g"))
    ?.length ?? 0;

describe.skipIf(!jump)("host mode through a jump host", { timeout: 300_000 }, () => {
  const target = host as Sshd;
  const bastion = jump as Sshd;
  const bed = perTestRun();
  afterAll(async () => {
    await Promise.all([host?.stop(), jump?.stop()]);
    await bin.remove();
  });
  const setUp = (settings: Record<string, string>) =>
    bed.setUp(QUICK, {
      ...hostSettings(target, false),
      proxy_host: `${bastion.host}:${bastion.port}`,
      proxy_key: bastion.privateKey,
      ...settings,
    });

  it("runs the tests on the host behind it: the APK uploaded and Appium's port forwarded over the tunnel", async () => {
    const before = { jump: logins(bastion), host: logins(target), tunnels: tunnels(bastion, target.port) };
    const { sdk, ws, env } = await setUp({
      known_hosts: `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`,
    });
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("2 passed, 0 failed, 0 skipped");
    // The jump host first, then the host behind it; both keys checked against known_hosts.
    const jumpLogin = run.output.indexOf(`connected to ${bastion.username}@127.0.0.1:${bastion.port} `);
    const hostLogin = run.output.indexOf(`connected to ${target.username}@127.0.0.1:${target.port} `);
    expect(jumpLogin).toBeGreaterThan(-1);
    expect(hostLogin).toBeGreaterThan(jumpLogin);
    expect(run.output).toMatch(
      new RegExp(`connected to \\S+@127\\.0\\.0\\.1:${bastion.port} .*verified by known_hosts`),
    );
    expect(run.output).toMatch(
      new RegExp(`connected to \\S+@127\\.0\\.0\\.1:${target.port} .*verified by known_hosts`),
    );
    // One login on each, and exactly one tunnel through the jump host: to the host's sshd.
    expect(logins(bastion) - before.jump).toBe(1);
    expect(logins(target) - before.host).toBe(1);
    expect(tunnels(bastion, target.port) - before.tunnels).toBe(1);
    // The jump host only relays: no shell, no SFTP there.
    expect(bastion.logs()).not.toMatch(/Starting session/);
    // The APK went over SFTP on the host's connection, and was read and installed there.
    const uploaded = /uploaded app-release\.apk to 127\.0\.0\.1:\d+:(\/\S+\/app\.apk) over SFTP/.exec(
      run.output,
    )?.[1];
    expect(uploaded, run.output).toBeDefined();
    expect(target.logs()).toMatch(/subsystem 'sftp'/);
    expect(sdk.transcript()).toEqual(
      expect.arrayContaining([
        `aapt2 dump badging ${uploaded}`,
        `adb -s emulator-5554 install -r -t ${uploaded}`,
      ]),
    );
    expect(run.outputs.EMULATOR_E2E_APP_PACKAGE).toBe(APP_PACKAGE);
    // WebdriverIO in the step reached Appium on the host through the forward on that connection.
    expect(run.output).toMatch(/forwarding 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+'s 127\.0\.0\.1:\d+ over SSH/);
    expect(await readFile(path.join(ws.dir, ".hangar/e2e/appium.log"), "utf8")).toContain(
      "Appium REST http interface listener started",
    );
    expectEmulatorStopped(sdk);
    expect(secretLeaks(run.output, bastion.privateKey)).toEqual([]);
    expect(secretLeaks(run.output, target.privateKey)).toEqual([]);
  });

  it("dry run names the jump host and logs in nowhere", async () => {
    const before = { jump: logins(bastion), host: logins(target) };
    const { sdk, ws, env } = await setUp({
      dry_run: "true",
      fingerprint: target.hostKeyFingerprint,
      proxy_fingerprint: bastion.hostKeyFingerprint,
    });
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      `on ${target.username}@127.0.0.1:${target.port} over SSH (host key ${target.hostKeyFingerprint}, through ${bastion.username}@127.0.0.1:${bastion.port})`,
    );
    expect(logins(bastion)).toBe(before.jump);
    expect(logins(target)).toBe(before.host);
    expect(sdk.transcript()).toEqual([]);
  });

  it("refuses a jump host whose key is not the pinned one, before any login or command", async () => {
    const before = { jump: logins(bastion), host: logins(target), tunnels: tunnels(bastion, target.port) };
    const { sdk, ws, env } = await setUp({
      fingerprint: target.hostKeyFingerprint,
      // The host's key where the jump host's belongs.
      proxy_fingerprint: target.hostKeyFingerprint,
    });
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`refused to log in to 127.0.0.1:${bastion.port}: its host key ssh-ed25519`);
    expect(run.output).toContain(`is not the expected ${target.hostKeyFingerprint}`);
    expect(run.output).toContain("[E_HOST_KEY]");
    expect(logins(bastion)).toBe(before.jump);
    expect(tunnels(bastion, target.port)).toBe(before.tunnels);
    expect(logins(target)).toBe(before.host);
    expect(sdk.transcript()).toEqual([]);
    expect(secretLeaks(run.output, bastion.privateKey)).toEqual([]);
  });
});
