import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type AndroidSdk, createAndroidSdk } from "../src/index.ts";

const run = promisify(execFile);

describe("the stand-in adb", { timeout: 60_000 }, () => {
  let sdk: AndroidSdk | undefined;
  afterEach(async () => {
    await sdk?.remove();
    sdk = undefined;
  });

  it("kill-server stops the server an earlier call forked and returns at once, as the real one does", async () => {
    sdk = await createAndroidSdk({});
    const adb = path.join(sdk.root, "platform-tools", "adb");
    const first = await run(adb, ["devices"]);
    expect(first.stderr).toContain("daemon started successfully");
    expect(sdk.running().map((entry) => entry.name)).toEqual(["adb server"]);

    const started = Date.now();
    await run(adb, ["kill-server"]);
    // The server is an orphan once its client exits; where nobody reaps it, it lingers as a zombie
    // that answers signal 0, and a kill-server waiting on that would take its whole 2 s deadline.
    expect(Date.now() - started).toBeLessThan(1_800);
    expect(sdk.running()).toEqual([]);
  });
});
