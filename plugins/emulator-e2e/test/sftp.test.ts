import { existsSync } from "node:fs";
import { type AndroidScenario, createAndroidSdk, type Sshd, testbed } from "@hangar/testbed";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { baseEnv, fakeDriverSettings, runStep, workspace } from "./helpers.ts";

const AVD = "hangar-34-google_apis-x86_64";
const SERIAL = "emulator-5554";
const QUICK: AndroidScenario = { avds: [AVD], bootPolls: 0, offlinePolls: 0 };

/** Hosts whose SFTP is broken: one whose SFTP server never answers, one whose SFTP fails at once. */
const silent = await testbed.sshd({ sftpSubsystem: "cat >/dev/null" });
const failing = silent ? await testbed.sshd({ sftpSubsystem: "false" }) : undefined;

/** The step's work directory on the host, as the log names it. */
function workDir(output: string): string | undefined {
  return /work directory on 127\.0\.0\.1:\d+: (\S+)/.exec(output)?.[1];
}

describe.skipIf(!failing)("host mode with a host whose SFTP is broken", { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(async () => {
    await Promise.all([silent?.stop(), failing?.stop()]);
  });

  async function setUp(host: Sshd, settings: Record<string, string> = {}) {
    const sdk = await createAndroidSdk(QUICK);
    const ws = await workspace();
    cleanups.push(sdk.remove, ws.remove);
    const env = baseEnv(sdk.root, {
      ...fakeDriverSettings(ws.dir),
      specs: "e2e/login.spec.mjs",
      host: `${host.host}:${host.port}`,
      username: host.username,
      key: host.privateKey,
      fingerprint: host.hostKeyFingerprint,
      ...settings,
    });
    return { sdk, ws, env };
  }

  it("a cancel while the upload waits for an SFTP that never answers still cleans up within the grace period", async () => {
    const host = silent as Sshd;
    const { sdk, ws, env } = await setUp(host);
    const cancel = new AbortController();
    let cancelledAt = 0;
    const watch = setInterval(() => {
      // The upload has asked for SFTP (it runs while the emulator boots): cancel while it waits.
      if (/subsystem 'sftp'/.test(host.logs())) {
        clearInterval(watch);
        cancelledAt = Date.now();
        cancel.abort(new Error("the step was cancelled"));
      }
    }, 100);
    const run = await runStep(env, ws.dir, { signal: cancel.signal, cancelGraceMs: 10_000 });
    clearInterval(watch);
    expect(cancelledAt, run.output).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(run.output).toContain("cleaning up");
    expect(sdk.transcript().slice(-2)).toEqual([`adb -s ${SERIAL} emu kill`, "adb kill-server"]);
    expect(sdk.running()).toEqual([]);
    // The logs are not waited for on an SFTP that did not answer; the work directory is removed.
    expect(run.output).toContain("the host's SFTP server had not answered when the step was stopped");
    expect(existsSync(workDir(run.output) ?? "/nonexistent")).toBe(false);
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
