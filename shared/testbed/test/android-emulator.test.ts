import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type AndroidSdk, createAndroidSdk } from "../src/index.ts";

const exec = promisify(execFile);
const AVD = "hangar-34-google_apis-x86_64";

describe("the stand-in emulator", { timeout: 60_000 }, () => {
  let sdk: AndroidSdk | undefined;
  afterEach(async () => {
    await sdk?.remove();
    sdk = undefined;
  });

  /** Boots an emulator of the SDK to `sys.boot_completed` 1; returns it and the polls it took. */
  async function boot(root: string): Promise<{ emulator: ChildProcess; polls: number }> {
    const emulator = spawn(path.join(root, "emulator", "emulator"), ["-avd", AVD, "-port", "5554"], {
      stdio: "ignore",
    });
    const adb = path.join(root, "platform-tools", "adb");
    await exec(adb, ["-s", "emulator-5554", "wait-for-device"]);
    for (let polls = 1; polls <= 20; polls++) {
      const answer = await exec(adb, ["-s", "emulator-5554", "shell", "getprop", "sys.boot_completed"]).catch(
        () => ({ stdout: "offline" }),
      );
      if (answer.stdout.trim() === "1") return { emulator, polls };
    }
    throw new Error("the stand-in emulator did not boot in 20 polls");
  }

  const exited = (child: ChildProcess) =>
    new Promise<void>((resolve) =>
      child.exitCode !== null ? resolve() : child.once("exit", () => resolve()),
    );

  it("a second run on the same SDK boots anew and is not stopped by the first run's kill", async () => {
    sdk = await createAndroidSdk({ avds: [AVD], bootPolls: 2, offlinePolls: 1, registerDelayMs: 50 });
    const adb = path.join(sdk.root, "platform-tools", "adb");
    const first = await boot(sdk.root);
    expect(first.polls).toBe(4);
    await exec(adb, ["-s", "emulator-5554", "emu", "kill"]);
    await exited(first.emulator);

    const second = await boot(sdk.root);
    // The same offline and "0" polls again: nothing of the first boot carried over.
    expect(second.polls).toBe(4);
    expect(second.emulator.exitCode).toBeNull();
    await exec(adb, ["-s", "emulator-5554", "emu", "kill"]);
    await exited(second.emulator);
    await exec(adb, ["kill-server"]);
    expect(sdk.running()).toEqual([]);
  });
});
