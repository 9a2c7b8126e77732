import { existsSync } from "node:fs";
import { type Sshd, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import {
  expectEmulatorStopped,
  hostSettings,
  hostWorkDir,
  perTestRun,
  QUICK,
  runCancelledWhen,
  runStep,
} from "./helpers.ts";

/** Hosts whose SFTP is broken: one whose SFTP server never answers, one whose SFTP fails at once. */
const silent = await testbed.sshd({ sftpSubsystem: "cat >/dev/null" });
const failing = silent ? await testbed.sshd({ sftpSubsystem: "false" }) : undefined;

describe.skipIf(!failing)("host mode with a host whose SFTP is broken", { timeout: 120_000 }, () => {
  const bed = perTestRun();
  afterAll(async () => {
    await Promise.all([silent?.stop(), failing?.stop()]);
  });
  const setUp = (host: Sshd, settings: Record<string, string> = {}) =>
    bed.setUp(QUICK, { ...hostSettings(host), ...settings });

  it("a cancel while the upload waits for an SFTP that never answers still cleans up within the grace period", async () => {
    const host = silent as Sshd;
    const { sdk, ws, env } = await setUp(host);
    // The upload has asked for SFTP (it runs while the emulator boots): cancel while it waits.
    const run = await runCancelledWhen(env, ws.dir, () => /subsystem 'sftp'/.test(host.logs()));
    expect(run.cancelledAt, run.output).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(Date.now() - run.cancelledAt).toBeLessThan(10_000);
    expect(run.output).toContain("cleaning up");
    expectEmulatorStopped(sdk);
    // The logs are not waited for on an SFTP that did not answer; the work directory is removed.
    expect(run.output).toContain("the host's SFTP server had not answered when the step was stopped");
    expect(existsSync(hostWorkDir(run.output))).toBe(false);
  });

  it("`timeout` bounds an upload to an SFTP that never answers", async () => {
    const host = silent as Sshd;
    const { sdk, ws, env } = await setUp(host, { timeout: "10s" });
    const started = Date.now();
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/timeout \(10s\) ran out while (booting the emulator|uploading the app)/);
    expect(run.output).toContain("[E_TIMEOUT]");
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(sdk.transcript().at(-1)).toBe("adb kill-server");
    expect(sdk.running()).toEqual([]);
  });

  it("an SFTP that fails names the upload, the file and the host", async () => {
    const host = failing as Sshd;
    const { sdk, ws, env } = await setUp(host);
    const run = await runStep(env, ws.dir);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /uploading app-release\.apk to 127\.0\.0\.1:\d+:\/\S+\/hangar-e2e\.\w+\/app\.apk over SFTP failed: /,
    );
    expect(run.output).toContain("[E_SFTP]");
    expect(run.output).toContain("`Subsystem sftp`");
    expect(run.output).not.toContain("unexpected error");
    expect(sdk.transcript().at(-1)).toBe("adb kill-server");
    expect(sdk.running()).toEqual([]);
  });
});
